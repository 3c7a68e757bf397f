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
