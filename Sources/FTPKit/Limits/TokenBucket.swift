/// A token bucket that hands out bytes at `rate` per second with bursts of up to `burst`, as a value with no
/// clock of its own (the time is passed in).
///
/// It runs into debt rather than refusing: ``reserve(_:now:)`` takes the bytes at once and says how long the
/// caller must wait before sending them. Each reservation queues behind the debt of the ones before it, so
/// callers sharing a bucket are served in the order they asked — sessions sending equal chunks get equal shares,
/// and the total never exceeds the rate (plus one burst).
struct TokenBucket: Sendable, Hashable {
    typealias Instant = ContinuousClock.Instant

    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Instant?

    /// - Parameters:
    ///   - rate: bytes per second (at least 1).
    ///   - burst: the most bytes that may go out at once after a quiet spell (default: a tenth of a second's worth,
    ///     at least 16 KiB).
    init(rate: UInt64, burst: UInt64? = nil) {
        self.rate = Double(max(1, rate))
        self.burst = Double(burst ?? max(16 * 1024, rate / 10))
        self.tokens = self.burst
    }

    /// Takes `bytes` and returns how long to wait before sending them (zero when they are covered).
    mutating func reserve(_ bytes: Int, now: Instant) -> Duration {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            self.tokens = min(self.burst, self.tokens + max(0, seconds) * self.rate)
        }
        self.last = now
        self.tokens -= Double(bytes)
        guard self.tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-self.tokens / self.rate * 1e9).rounded(.up)))
    }

    /// The size of one paced piece: about a twentieth of a second's worth, between 4 KiB and 256 KiB, so waits are
    /// short and smooth at low rates and cheap at high ones.
    var slice: Int { Int(min(256 * 1024, max(4 * 1024, self.rate / 20))) }
}
