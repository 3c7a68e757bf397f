/// The clocked side of ``RateLimitBook`` and ``InvalidRequestGuard``: requests wait here (queued, not failed)
/// until their bucket and the global limit allow them.
actor RateLimiter {
    private var book: RateLimitBook
    private var invalid: InvalidRequestGuard
    private let clock = ContinuousClock()

    init(invalidRequestLimit: Int) {
        self.book = RateLimitBook()
        self.invalid = InvalidRequestGuard(limit: invalidRequestLimit)
    }

    func acquire(_ route: Route) async throws {
        while true {
            let now = self.clock.now
            if let until = self.invalid.blockedUntil(now: now) {
                throw DiscordRESTError.invalidRequestBudgetExhausted(
                    count: self.invalid.count, retryAfterSeconds: Self.seconds(until - now))
            }
            switch self.book.reserve(route, now: now) {
            case .proceed: return
            case .wait(let until): try await Task.sleep(until: until, clock: self.clock)
            }
        }
    }

    func record(_ route: Route, status: Int, headers: RateLimitBook.Headers) {
        let now = self.clock.now
        self.book.record(route, status: status, headers: headers, now: now)
        self.invalid.record(status: status, scope: headers.scope, now: now)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
