/// Counts responses Discord treats as invalid (401, 403, and 429 except `shared` scope). Cloudflare bans an IP
/// for a while after 10,000 of them in 10 minutes, which would take every bot on the host down; this guard
/// refuses to send once a much lower budget is spent, so a bug (a revoked token, a missing permission in a
/// loop) degrades into clear errors instead of a ban. Pure: time is passed in.
public struct InvalidRequestGuard: Sendable {
    /// The time the guard decides by.
    public typealias Instant = ContinuousClock.Instant

    /// Invalid requests allowed per ``window`` (Discord bans at 10,000 per 10 minutes; the default keeps far below).
    public var limit: Int
    /// The window invalid requests are counted in.
    public var window: Duration
    private var times: [Instant] = []
    private var head = 0

    /// A guard allowing `limit` invalid requests per `window`.
    public init(limit: Int = 2_500, window: Duration = .seconds(600)) {
        self.limit = limit
        self.window = window
    }

    /// Whether Discord counts a response as invalid: 401, 403, and 429 other than a `shared` one.
    public static func isInvalid(status: Int, scope: String?) -> Bool {
        status == 401 || status == 403 || (status == 429 && scope != "shared")
    }

    private mutating func prune(now: Instant) {
        while self.head < self.times.count, self.times[self.head] + self.window <= now { self.head += 1 }
        if self.head > 1024, self.head * 2 > self.times.count {
            self.times.removeFirst(self.head)
            self.head = 0
        }
    }

    /// Invalid requests within the window.
    public var count: Int { self.times.count - self.head }

    /// Counts a response, if invalid, at `now`.
    public mutating func record(status: Int, scope: String?, now: Instant) {
        guard Self.isInvalid(status: status, scope: scope) else { return }
        self.prune(now: now)
        self.times.append(now)
    }

    /// `nil` when a request may go; else when the oldest counted response leaves the window.
    public mutating func blockedUntil(now: Instant) -> Instant? {
        self.prune(now: now)
        guard self.count >= self.limit else { return nil }
        return self.times[self.head] + self.window
    }
}
