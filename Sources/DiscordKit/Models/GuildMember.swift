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
