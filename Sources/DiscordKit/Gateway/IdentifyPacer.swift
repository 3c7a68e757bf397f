/// Discord's identify pacing as a pure value: shards whose `shard_id % max_concurrency` match share a rate-limit
/// key, and each key may IDENTIFY once per `interval` (5 s). ``reserve(shard:now:)`` books the next free slot at
/// once, so callers that ask together are spread out rather than colliding.
public struct IdentifyPacer: Sendable {
    /// IDENTIFYs allowed per interval (from ``GatewayBot/SessionStartLimit/maxConcurrency``).
    public let maxConcurrency: Int
    /// The interval one slot covers.
    public let interval: Duration
    private var nextFree: [Int: ContinuousClock.Instant] = [:]

    /// A pacer with every slot free.
    public init(maxConcurrency: Int, interval: Duration = .seconds(5)) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.interval = interval
    }

    /// When `shard` may identify; the slot is taken.
    public mutating func reserve(shard: Int, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let key = shard % self.maxConcurrency
        let at = max(now, self.nextFree[key] ?? now)
        self.nextFree[key] = at + self.interval
        return at
    }
}

/// The shared driver of an ``IdentifyPacer``: each IDENTIFY waits for its slot.
public actor IdentifyGate {
    private var pacer: IdentifyPacer

    /// A gate over a new ``IdentifyPacer``.
    public init(maxConcurrency: Int, interval: Duration = .seconds(5)) {
        self.pacer = IdentifyPacer(maxConcurrency: maxConcurrency, interval: interval)
    }

    /// Books `shard`'s next slot and sleeps until it; throws `CancellationError` when cancelled (the slot stays
    /// booked: Discord counts time, not whether the IDENTIFY came).
    public func waitTurn(shard: Int) async throws {
        let now = ContinuousClock.now
        let at = self.pacer.reserve(shard: shard, now: now)
        if at > now { try await Task.sleep(until: at, clock: .continuous) }
    }
}
