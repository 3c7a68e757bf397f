/// Discord adds enum values without notice; a model that fails on an unknown value drops the whole event.
/// These integer-backed types keep any value and name the known ones as constants.
public protocol DiscordIntEnum: RawRepresentable, Codable, Sendable, Hashable where RawValue == Int {
    init(rawValue: Int)
}

extension DiscordIntEnum {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(Int.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}

/// `GET /gateway/bot`.
public struct GatewayBot: Codable, Sendable, Hashable {
    /// How many new sessions (IDENTIFYs) the bot may start, and how fast.
    public struct SessionStartLimit: Codable, Sendable, Hashable {
        /// Sessions allowed per reset period (1,000 a day for most bots).
        public var total: Int
        /// Sessions left before the reset.
        public var remaining: Int
        /// Milliseconds until `remaining` is reset.
        public var resetAfter: Int
        /// IDENTIFYs allowed per 5 seconds (shards with the same `id % maxConcurrency` share one slot).
        public var maxConcurrency: Int

        /// A limit as Discord reports it.
        public init(total: Int, remaining: Int, resetAfter: Int, maxConcurrency: Int) {
            self.total = total
            self.remaining = remaining
            self.resetAfter = resetAfter
            self.maxConcurrency = maxConcurrency
        }

        enum CodingKeys: String, CodingKey {
            case total, remaining
            case resetAfter = "reset_after"
            case maxConcurrency = "max_concurrency"
        }
    }

    /// The gateway's WebSocket URL.
    public var url: String
    /// The number of shards Discord recommends.
    public var shards: Int
    /// The session start budget.
    public var sessionStartLimit: SessionStartLimit

    /// A `GET /gateway/bot` answer.
    public init(url: String, shards: Int, sessionStartLimit: SessionStartLimit) {
        self.url = url
        self.shards = shards
        self.sessionStartLimit = sessionStartLimit
    }

    enum CodingKeys: String, CodingKey {
        case url, shards
        case sessionStartLimit = "session_start_limit"
    }
}
