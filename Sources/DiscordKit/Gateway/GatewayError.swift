/// Why the gateway stopped for good (a reconnect would fail the same way), with what to fix.
public enum GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    case authenticationFailed
    case invalidShard
    case shardingRequired
    case invalidAPIVersion
    case invalidIntents
    case disallowedIntents
    case identifyBudgetExhausted(resetAfterSeconds: Int)
    case malformedPayload(String)
    case unreachable(String)

    /// The close codes after which Discord says not to reconnect.
    public init?(closeCode: Int) {
        switch closeCode {
        case 4004: self = .authenticationFailed
        case 4010: self = .invalidShard
        case 4011: self = .shardingRequired
        case 4012: self = .invalidAPIVersion
        case 4013: self = .invalidIntents
        case 4014: self = .disallowedIntents
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .authenticationFailed:
            "Discord rejected the bot token (close code 4004): reset the token in the developer portal and update DISCORD_TOKEN"
        case .invalidShard: "Discord rejected the shard settings (close code 4010)"
        case .shardingRequired:
            "the bot is in too many guilds for one connection (close code 4011): run it with more shards"
        case .invalidAPIVersion: "Discord rejected the gateway API version (close code 4012)"
        case .invalidIntents: "Discord rejected the gateway intents (close code 4013)"
        case .disallowedIntents:
            "Discord refused a privileged intent (close code 4014): enable the Message Content intent for the bot in the developer portal (Bot → Privileged Gateway Intents)"
        case .identifyBudgetExhausted(let seconds):
            "the daily gateway login budget is used up; it resets in \(seconds) s"
        case .malformedPayload(let why): "the gateway sent something unreadable: \(why)"
        case .unreachable(let why): "cannot reach the Discord gateway: \(why)"
        }
    }
}
