/// Which events the gateway sends. `messageContent` is privileged: enable it in the developer portal.
public struct GatewayIntents: OptionSet, Sendable, Hashable, Codable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Guild create/update/delete, channels and roles.
    public static let guilds = GatewayIntents(rawValue: 1 << 0)
    /// Member joins, updates and leaves (privileged).
    public static let guildMembers = GatewayIntents(rawValue: 1 << 1)
    /// Messages in guild channels.
    public static let guildMessages = GatewayIntents(rawValue: 1 << 9)
    /// Messages in direct messages.
    public static let directMessages = GatewayIntents(rawValue: 1 << 12)
    /// The text, embeds and attachments of messages not addressed to the bot (privileged).
    public static let messageContent = GatewayIntents(rawValue: 1 << 15)
    /// Presence updates (privileged).
    public static let guildPresences = GatewayIntents(rawValue: 1 << 8)

    /// What a prefix-and-slash command bot needs.
    public static let commandBot: GatewayIntents = [.guilds, .guildMessages, .directMessages, .messageContent]
}
