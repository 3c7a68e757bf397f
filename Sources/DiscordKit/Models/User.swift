/// A Discord user (or bot).
public struct User: Codable, Sendable, Hashable {
    /// The user's id.
    public var id: Snowflake
    /// The unique user name.
    public var username: String
    /// The display name, when set.
    public var globalName: String?
    /// Whether the user is a bot.
    public var bot: Bool?

    /// A user; see each property.
    public init(id: Snowflake, username: String, globalName: String? = nil, bot: Bool? = nil) {
        self.id = id
        self.username = username
        self.globalName = globalName
        self.bot = bot
    }

    /// The name people see.
    public var displayName: String { self.globalName ?? self.username }

    enum CodingKeys: String, CodingKey {
        case id, username, bot
        case globalName = "global_name"
    }
}

/// A user's membership in a guild.
public struct GuildMember: Codable, Sendable, Hashable {
    /// The member's user (absent in a message's `member`, whose author it is).
    public var user: User?
    /// The member's nickname in the guild.
    public var nick: String?
    /// The ids of the member's roles.
    public var roles: [Snowflake]

    /// A member; see each property.
    public init(user: User? = nil, nick: String? = nil, roles: [Snowflake] = []) {
        self.user = user
        self.nick = nick
        self.roles = roles
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.user = try c.decodeIfPresent(User.self, forKey: .user)
        self.nick = try c.decodeIfPresent(String.self, forKey: .nick)
        self.roles = try c.decodeIfPresent([Snowflake].self, forKey: .roles) ?? []
    }
}

/// `GET /applications/@me` (only what a bot needs).
public struct Application: Codable, Sendable, Hashable {
    /// The application's id.
    public var id: Snowflake
    /// Its name.
    public var name: String

    /// An application of this id and name.
    public init(id: Snowflake, name: String) {
        self.id = id
        self.name = name
    }
}

/// A guild, with the boost tier that sets its upload limit.
public struct Guild: Codable, Sendable, Hashable {
    /// The guild's id.
    public var id: Snowflake
    /// Its name.
    public var name: String
    /// Its boost tier (0–3), which sets its upload limit.
    public var premiumTier: Int?

    /// A guild; see each property.
    public init(id: Snowflake, name: String, premiumTier: Int? = nil) {
        self.id = id
        self.name = name
        self.premiumTier = premiumTier
    }

    /// The largest attachment members may upload: 10 MiB by default, 50 MiB at boost tier 2, 100 MiB at tier 3.
    public var attachmentSizeLimit: Int {
        switch self.premiumTier ?? 0 {
        case 3...: 100 << 20
        case 2: 50 << 20
        default: 10 << 20
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case premiumTier = "premium_tier"
    }
}

/// A channel (only the fields a bot needs).
public struct Channel: Codable, Sendable, Hashable {
    /// The channel's id.
    public var id: Snowflake
    /// Its type (0: guild text, 1: direct message).
    public var type: Int
    /// Its guild, for a guild channel.
    public var guildID: Snowflake?
    /// Its name, when it has one.
    public var name: String?

    /// A channel; see each property.
    public init(id: Snowflake, type: Int = 0, guildID: Snowflake? = nil, name: String? = nil) {
        self.id = id
        self.type = type
        self.guildID = guildID
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case id, type, name
        case guildID = "guild_id"
    }
}
