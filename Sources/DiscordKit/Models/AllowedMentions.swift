/// Which mentions in a message may ping. Bots should default to none: user-supplied text (file names!) must
/// not ping `@everyone`.
public struct AllowedMentions: Codable, Sendable, Hashable {
    /// Mention kinds that may ping (`users`, `roles`, `everyone`); empty: none.
    public var parse: [String]
    /// Users who may be pinged even though `parse` does not name "users".
    public var users: [Snowflake]?
    /// Whether replying pings the author of the message replied to.
    public var repliedUser: Bool?

    /// A rule; the default lets nothing ping.
    public init(parse: [String] = [], users: [Snowflake]? = nil, repliedUser: Bool? = nil) {
        self.parse = parse
        self.users = users
        self.repliedUser = repliedUser
    }

    /// Nothing pings.
    public static let none = AllowedMentions(parse: [], repliedUser: false)

    enum CodingKeys: String, CodingKey {
        case parse, users
        case repliedUser = "replied_user"
    }
}
