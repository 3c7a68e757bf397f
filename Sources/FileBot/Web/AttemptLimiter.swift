/// Failed link attempts per address: a token bucket each (10 at once, then one every 6 seconds), so guessing
/// tokens is slow while a person who mistyped once is not bothered. A pure value; time is passed in.
public struct AttemptLimiter: Sendable {
    /// Failures an address may make at once.
    public var burst: Double
    /// Failures an address earns back per second.
    public var refillPerSecond: Double
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    /// A limiter of `burst` failures at once, then `refillPerSecond` more each second.
    public init(burst: Double = 10, refillPerSecond: Double = 1.0 / 6) {
        self.burst = burst
        self.refillPerSecond = refillPerSecond
    }

    private func tokens(_ address: String, now: ContinuousClock.Instant) -> Double {
        guard let bucket = self.buckets[address] else { return self.burst }
        let elapsed = now - bucket.at
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(self.burst, bucket.tokens + seconds * self.refillPerSecond)
    }

    /// Whether `address` may try a link now.
    public func allows(_ address: String, now: ContinuousClock.Instant) -> Bool { self.tokens(address, now: now) >= 1 }

    /// Seconds until `address` may try again.
    public func retryAfter(_ address: String, now: ContinuousClock.Instant) -> Int {
        let missing = 1 - self.tokens(address, now: now)
        return missing <= 0 ? 0 : Int((missing / self.refillPerSecond).rounded(.up))
    }

    /// Counts a failed attempt from `address` at `now`.
    public mutating func recordFailure(_ address: String, now: ContinuousClock.Instant) {
        self.buckets[address] = (max(0, self.tokens(address, now: now) - 1), now)
        if self.buckets.count > 10_000 {
            // Forget addresses whose bucket is full again: they are as if never seen.
            self.buckets = self.buckets.filter { self.tokens($0.key, now: now) < self.burst }
        }
    }
}
