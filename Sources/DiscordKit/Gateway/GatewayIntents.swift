/// Which events the gateway sends. `messageContent` is privileged: enable it in the developer portal.
public struct GatewayIntents: OptionSet, Sendable, Hashable, Codable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let guilds = GatewayIntents(rawValue: 1 << 0)
    public static let guildMembers = GatewayIntents(rawValue: 1 << 1)
    public static let guildMessages = GatewayIntents(rawValue: 1 << 9)
    public static let directMessages = GatewayIntents(rawValue: 1 << 12)
    public static let messageContent = GatewayIntents(rawValue: 1 << 15)
    public static let guildPresences = GatewayIntents(rawValue: 1 << 8)

    /// What a prefix-and-slash command bot needs.
    public static let commandBot: GatewayIntents = [.guilds, .guildMessages, .directMessages, .messageContent]
}
