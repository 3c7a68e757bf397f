/// A channel: a guild text channel (type 0) or a direct-message channel (type 1, no guild).
public struct EmulatedChannel: Sendable, Hashable, Codable {
    /// The channel's id.
    public var id: String
    /// Discord's channel type (0 guild text, 1 direct message).
    public var type: Int
    /// The guild, for a guild channel.
    public var guildID: String?
    /// The channel's name, when it has one.
    public var name: String?

    /// A channel; see each property.
    public init(id: String, type: Int = 0, guildID: String?, name: String?) {
        self.id = id
        self.type = type
        self.guildID = guildID
        self.name = name
    }

    /// Whether this is a direct-message channel.
    public var isDirectMessage: Bool { self.type == 1 }

    var json: EmulatorJSON {
        var object: EmulatorJSON = [
            "id": .string(self.id), "type": .int(self.type), "name": .optional(self.name),
            "last_message_id": nil, "flags": 0,
        ]
        if let guild = self.guildID {
            object["guild_id"] = .string(guild)
            object["position"] = 0
            object["permission_overwrites"] = []
            object["nsfw"] = false
            object["parent_id"] = nil
            object["topic"] = nil
            object["rate_limit_per_user"] = 0
        } else {
            object["recipients"] = []
        }
        return object
    }
}
