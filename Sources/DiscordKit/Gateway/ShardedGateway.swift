public import Logging

/// Several gateway shards in one process: the shard count Discord recommends (or a fixed one), every IDENTIFY
/// (first ones and re-identifies after an invalid session) paced by `max_concurrency` through one
/// ``IdentifyGate``, every shard's events merged into one stream. A shard
/// that stops for good (a final close code) is logged and the others go on; ``run()`` throws only when every
/// shard has stopped with an error.
public actor ShardedGateway {
    /// An event and the shard it came on.
    public struct ShardEvent: Sendable {
        /// The shard's id.
        public var shard: Int
        /// The event.
        public var event: GatewayEvent
    }

    /// Every shard's events, merged; finished when ``run()`` returns.
    public nonisolated let events: AsyncStream<ShardEvent>
    private let continuation: AsyncStream<ShardEvent>.Continuation
    private let configuration: GatewayConfiguration
    private let rest: DiscordRESTClient
    private let shardCount: Int?
    private let selection: ShardSelection?
    private let logger: Logger
    private var shards: [GatewayClient] = []
    private var stopped = false
    /// Time between identify rounds (Discord: 5 s).
    private let roundInterval: Duration

    /// - Parameters:
    ///   - shardCount: `nil` uses `GET /gateway/bot`'s recommendation.
    ///   - selection: only these shards of a fixed count, when several processes share the bot's shards (it
    ///     overrides `shardCount`).
    public init(
        configuration: GatewayConfiguration, rest: DiscordRESTClient, shardCount: Int? = nil,
        selection: ShardSelection? = nil, roundInterval: Duration = .seconds(5),
        logger: Logger = Logger(label: "DiscordKit.Shards")
    ) {
        self.configuration = configuration
        self.rest = rest
        self.shardCount = shardCount
        self.selection = selection
        self.roundInterval = roundInterval
        self.logger = logger
        (self.events, self.continuation) = AsyncStream.makeStream(of: ShardEvent.self)
    }

    /// Asks Discord for the shard count and identify budget, connects every shard and returns once they have all
    /// stopped; throws when Discord refuses the token, when the budget cannot cover the shards, or when every shard
    /// stopped with an error.
    public func run() async throws {
        defer { self.continuation.finish() }
        let info: GatewayBot
        do {
            info = try await self.rest.gatewayBot()
        } catch let error as DiscordRESTError where error.status == 401 {
            throw GatewayError.authenticationFailed
        }
        let count = self.selection?.count ?? max(1, self.shardCount ?? info.shards)
        let ids = self.selection?.ids ?? Array(0..<count)
        let concurrency = max(1, info.sessionStartLimit.maxConcurrency)
        guard info.sessionStartLimit.remaining >= ids.count else {
            throw GatewayError.identifyBudgetExhausted(resetAfterSeconds: info.sessionStartLimit.resetAfter / 1000)
        }
        // One gate for every shard: first connections and every later re-identify keep Discord's pace.
        let gate = IdentifyGate(maxConcurrency: concurrency, interval: self.roundInterval)
        for id in ids {
            var configuration = self.configuration
            configuration.shard = (id, count)
            configuration.identifyGate = gate
            configuration.gatewayURL = configuration.gatewayURL ?? info.url
            self.shards.append(GatewayClient(configuration: configuration, rest: self.rest, logger: self.logger))
        }
        let shards = self.shards
        let failures = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
            for (id, shard) in zip(ids, shards) {
                group.addTask {
                    guard await !self.isStopped else { return nil }
                    let forward = Task {
                        for await event in shard.events { self.continuation.yield(ShardEvent(shard: id, event: event)) }
                    }
                    defer { forward.cancel() }
                    do {
                        try await shard.run()
                        await forward.value
                        return nil
                    } catch {
                        self.logger.error("shard stopped", metadata: ["shard": "\(id)", "error": "\(error)"])
                        return error
                    }
                }
            }
            var errors: [any Error] = []
            for try await result in group { if let result { errors.append(result) } }
            return errors
        }
        if failures.count == ids.count, let first = failures.first { throw first }
    }

    private var isStopped: Bool { self.stopped }

    /// Closes every shard's connection.
    public func stop() async {
        self.stopped = true
        for shard in self.shards { await shard.stop() }
    }

    /// Each shard's health, by shard id.
    public func health() async -> [GatewayClient.Health] {
        var result: [GatewayClient.Health] = []
        for shard in self.shards { result.append(await shard.health()) }
        return result
    }
}
