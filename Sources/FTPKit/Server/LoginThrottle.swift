/// Remembers failed logins per address and bans an address that fails too often (RFC 2577 §3: slow down
/// password guessing). Pure: the caller passes the current time.
struct LoginThrottle: Sendable {
    let threshold: Int
    let window: Duration
    let banDuration: Duration
    private var failures: [String: [ContinuousClock.Instant]] = [:]
    private var bannedUntil: [String: ContinuousClock.Instant] = [:]

    init(threshold: Int, window: Duration, banDuration: Duration) {
        self.threshold = threshold
        self.window = window
        self.banDuration = banDuration
    }

    func isBanned(_ address: String, now: ContinuousClock.Instant) -> Bool {
        guard let until = self.bannedUntil[address] else { return false }
        return now < until
    }

    /// Records a failure; returns true when the address is now banned.
    mutating func recordFailure(_ address: String, now: ContinuousClock.Instant) -> Bool {
        var list = self.failures[address, default: []].filter { now - $0 < self.window }
        list.append(now)
        if list.count >= self.threshold {
            self.bannedUntil[address] = now + self.banDuration
            self.failures[address] = nil
            return true
        }
        self.failures[address] = list
        // Forget stale entries so the table cannot grow without bound.
        if self.failures.count > 10_000 {
            self.failures = self.failures.filter { $0.value.contains { now - $0 < self.window } }
            self.bannedUntil = self.bannedUntil.filter { $0.value > now }
        }
        return false
    }

    mutating func recordSuccess(_ address: String) {
        self.failures[address] = nil
    }
}
