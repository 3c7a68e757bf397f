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

    /// Waits for a slot; returns the local window the request belongs to, for ``record(_:window:status:headers:)``.
    func acquire(_ route: Route) async throws -> Int {
        while true {
            let now = self.clock.now
            if let until = self.invalid.blockedUntil(now: now) {
                throw DiscordRESTError.invalidRequestBudgetExhausted(
                    count: self.invalid.count, retryAfterSeconds: Self.seconds(until - now))
            }
            switch self.book.reserve(route, now: now) {
            case .proceed: return self.book.window(for: route)
            case .wait(let until): try await Task.sleep(until: until, clock: self.clock)
            }
        }
    }

    func record(_ route: Route, window: Int, status: Int, headers: RateLimitBook.Headers) {
        let now = self.clock.now
        self.book.record(route, window: window, status: status, headers: headers, now: now)
        self.invalid.record(status: status, scope: headers.scope, now: now)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
