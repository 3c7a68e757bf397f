import Synchronization

/// The failed-attempt limiter, shared by the requests of one front end.
final class LimiterBox: Sendable {
    private let limiter: Mutex<AttemptLimiter>
    init(_ limiter: AttemptLimiter) { self.limiter = Mutex(limiter) }
    func allows(_ address: String) -> (Bool, Int) {
        self.limiter.withLock { l in (l.allows(address, now: .now), l.retryAfter(address, now: .now)) }
    }
    func fail(_ address: String) { self.limiter.withLock { $0.recordFailure(address, now: .now) } }
}
