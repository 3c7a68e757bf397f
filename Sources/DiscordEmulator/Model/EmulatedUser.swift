/// A Discord user (a person or a bot) as the emulator knows it.
public struct EmulatedUser: Sendable, Hashable, Codable {
    /// The user's id.
    public var id: String
    /// The user's name.
    public var username: String
    /// Whether the user is a bot.
    public var bot: Bool

    /// A user; see each property.
    public init(id: String, username: String, bot: Bool = false) {
        self.id = id
        self.username = username
        self.bot = bot
    }

    /// The user object of Discord's documentation (every field a client may read).
    var json: EmulatorJSON {
        [
            "id": .string(self.id), "username": .string(self.username), "discriminator": "0", "global_name": nil,
            "avatar": nil, "bot": .bool(self.bot), "system": false, "public_flags": 0, "flags": 0,
        ]
    }
}
