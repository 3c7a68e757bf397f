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
