/// A message as Discord stores it: its wire JSON, with typed accessors for tests.
public struct EmulatedMessage: Sendable, Hashable {
    /// The message object exactly as a client receives it.
    public var json: EmulatorJSON

    public var id: String { self.json["id"]?.string ?? "" }
    public var channelID: String { self.json["channel_id"]?.string ?? "" }
    public var guildID: String? { self.json["guild_id"]?.string }
    public var authorID: String { self.json["author"]?["id"]?.string ?? "" }
    public var content: String { self.json["content"]?.string ?? "" }
    public var embeds: [EmulatorJSON] { self.json["embeds"]?.array ?? [] }
    public var components: [EmulatorJSON] { self.json["components"]?.array ?? [] }
    public var attachments: [EmulatedAttachment] {
        (self.json["attachments"]?.array ?? []).map {
            EmulatedAttachment(id: $0["id"]?.string ?? "", filename: $0["filename"]?.string ?? "",
                               size: $0["size"]?.int ?? 0, url: $0["url"]?.string ?? "")
        }
    }
    public var flags: Int { self.json["flags"]?.int ?? 0 }
    /// Ephemeral messages are seen only by the user who ran the interaction.
    public var isEphemeral: Bool { self.flags & DiscordRules.ephemeralFlag != 0 }
}

/// A file attached to a message, served by the emulator's CDN at `url`.
public struct EmulatedAttachment: Sendable, Hashable {
    public var id: String
    public var filename: String
    public var size: Int
    public var url: String
}
