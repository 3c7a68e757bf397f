/// A message as Discord stores it: its wire JSON, with typed accessors for tests.
public struct EmulatedMessage: Sendable, Hashable {
    /// The message object exactly as a client receives it.
    public var json: EmulatorJSON

    /// The message's id.
    public var id: String { self.json["id"]?.string ?? "" }
    /// Its channel.
    public var channelID: String { self.json["channel_id"]?.string ?? "" }
    /// Its guild, when in one.
    public var guildID: String? { self.json["guild_id"]?.string }
    /// Its author's id.
    public var authorID: String { self.json["author"]?["id"]?.string ?? "" }
    /// Its text.
    public var content: String { self.json["content"]?.string ?? "" }
    /// Its embeds, as JSON.
    public var embeds: [EmulatorJSON] { self.json["embeds"]?.array ?? [] }
    /// Its components (buttons), as JSON.
    public var components: [EmulatorJSON] { self.json["components"]?.array ?? [] }
    /// Its attachments.
    public var attachments: [EmulatedAttachment] {
        (self.json["attachments"]?.array ?? []).map {
            EmulatedAttachment(id: $0["id"]?.string ?? "", filename: $0["filename"]?.string ?? "",
                               size: $0["size"]?.int ?? 0, url: $0["url"]?.string ?? "")
        }
    }
    /// Its flags (64: ephemeral).
    public var flags: Int { self.json["flags"]?.int ?? 0 }
    /// Ephemeral messages are seen only by the user who ran the interaction.
    public var isEphemeral: Bool { self.flags & DiscordRules.ephemeralFlag != 0 }
}

/// A file attached to a message, served by the emulator's CDN at `url`.
public struct EmulatedAttachment: Sendable, Hashable {
    /// The attachment's id.
    public var id: String
    /// Its name as Discord shows it.
    public var filename: String
    /// Its size in bytes.
    public var size: Int
    /// Where the emulator's CDN serves it.
    public var url: String
}
