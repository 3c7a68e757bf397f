/// Discord's documented limits (API v10), stated here from Discord's documentation rather than taken from any
/// client, so that a client's mistake about one of them shows up as a refusal.
public enum DiscordRules {
    // Messages (Channel resource: Create Message; Embed limits).
    public static let contentLength = 2000
    public static let embedsPerMessage = 10
    public static let embedTitle = 256
    public static let embedDescription = 4096
    public static let embedFields = 25
    public static let embedFieldName = 256
    public static let embedFieldValue = 1024
    public static let embedFooterText = 2048
    public static let embedAuthorName = 256
    /// Characters across every embed's title, description, field names and values, footer and author name.
    public static let embedTotal = 6000
    public static let actionRowsPerMessage = 5
    public static let componentsPerRow = 5
    public static let customIDLength = 100
    public static let buttonLabelLength = 80
    public static let ephemeralFlag = 1 << 6

    // Application commands.
    public static let choicesPerOption = 25
    public static let choiceNameLength = 100
    public static let choiceStringValueLength = 100
    public static let commandNameLength = 32
    public static let commandDescriptionLength = 100
    public static let optionsPerCommand = 25

    // Interactions.
    public static let initialResponseWindow: Duration = .seconds(3)
    public static let interactionTokenLifetime: Duration = .seconds(15 * 60)

    // Uploads: per file, by the guild's boost tier (0 and 1: 10 MiB; 2: 50 MiB; 3: 100 MiB); a request ≤ 25 MiB
    // outside attachments' own allowance.
    public static func uploadLimit(boostTier: Int) -> Int {
        switch boostTier {
        case 3: 100 << 20
        case 2: 50 << 20
        default: 10 << 20
        }
    }

    // Rate limits.
    public static let globalRequestsPerSecond = 50
    public static let invalidRequestsPerWindow = 10_000
    public static let invalidRequestWindow: Duration = .seconds(600)

    // Gateway.
    public static let gatewayPayloadBytes = 4096
    public static let gatewaySendsPerMinute = 120
    public static let identifyLimitPerDay = 1000

    // Intents.
    public static let intentGuilds = 1 << 0
    public static let intentGuildMessages = 1 << 9
    public static let intentDirectMessages = 1 << 12
    public static let intentMessageContent = 1 << 15
    /// Privileged intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
    public static let privilegedIntents = (1 << 1) | (1 << 8) | (1 << 15)
    /// Every intent that exists in API v10 (bits 0–25 less the unused ones is close enough; beyond is 4013).
    public static let knownIntents = (1 << 26) - 1

    /// Discord's rule for which shard receives a guild's events.
    public static func shard(ofGuild id: String, count: Int) -> Int {
        Int(((UInt64(id) ?? 0) >> 22) % UInt64(max(count, 1)))
    }
}
