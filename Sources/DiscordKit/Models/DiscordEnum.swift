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
    public struct SessionStartLimit: Codable, Sendable, Hashable {
        public var total: Int
        public var remaining: Int
        /// Milliseconds until `remaining` is reset.
        public var resetAfter: Int
        public var maxConcurrency: Int

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

    public var url: String
    public var shards: Int
    public var sessionStartLimit: SessionStartLimit

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
