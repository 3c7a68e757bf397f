/// How a ``GatewayClient`` connects.
public struct GatewayConfiguration: Sendable {
    /// The bot's token (never logged).
    public var token: BotToken
    /// The events asked for (``GatewayIntents/commandBot`` for a prefix- and slash-command bot).
    public var intents: GatewayIntents
    /// `nil`: asked from `GET /gateway/bot` (which also gives the identify budget).
    public var gatewayURL: String?
    /// Transport compression (`compress=zlib-stream`).
    public var compress: Bool
    /// This connection's shard and the total number of shards.
    public var shard: (id: Int, count: Int)
    /// The longest wait between reconnection attempts.
    public var maximumBackoff: Duration
    /// Largest inflated message accepted.
    public var maxMessageSize: Int
    /// When Discord refuses a privileged intent (close 4014), go on without it instead of stopping: slash
    /// commands need no intent. Off, 4014 stops the client with ``GatewayError/disallowedIntents``.
    public var continueWithoutPrivilegedIntents: Bool
    /// Paces IDENTIFY across the shards that share it (``ShardedGateway`` sets one); `nil`: not paced.
    public var identifyGate: IdentifyGate?

    /// A configuration; see each property.
    public init(
        token: BotToken, intents: GatewayIntents = .commandBot, gatewayURL: String? = nil, compress: Bool = true,
        shard: (id: Int, count: Int) = (0, 1), maximumBackoff: Duration = .seconds(60), maxMessageSize: Int = 64 << 20,
        continueWithoutPrivilegedIntents: Bool = true, identifyGate: IdentifyGate? = nil
    ) {
        self.continueWithoutPrivilegedIntents = continueWithoutPrivilegedIntents
        self.identifyGate = identifyGate
        self.token = token
        self.intents = intents
        self.gatewayURL = gatewayURL
        self.compress = compress
        self.shard = shard
        self.maximumBackoff = maximumBackoff
        self.maxMessageSize = maxMessageSize
    }
}
