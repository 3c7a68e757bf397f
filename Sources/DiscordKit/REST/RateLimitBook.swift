/// Discord's rate-limit state as learned from response headers, with no clock or I/O of its own: callers pass
/// the time in, so every rule is unit-tested on a virtual clock.
///
/// - Buckets: a route shape maps to the bucket hash Discord names in `X-RateLimit-Bucket`; the state is kept
///   per hash and major parameter. Until a route's bucket is known, one request at a time goes out on it, so a
///   burst cannot overrun a limit nobody has learned yet.
/// - Responses come back out of order and a server window can roll over while requests are in flight, so a
///   response only ever lowers what is left in the window the client believes in and only ever pushes its reset
///   later; a response to a request sent in an earlier window is not allowed to reopen the current one.
/// - The global limit (50 requests per second, interactions exempt) is kept locally, and a global 429 stops
///   every request until its `retry_after` has passed.
public struct RateLimitBook: Sendable {
    /// The time the book decides by.
    public typealias Instant = ContinuousClock.Instant

    /// Whether a request may go now.
    public enum Decision: Sendable, Hashable {
        case proceed
        case wait(until: Instant)
    }

    /// What one response said about limits.
    public struct Headers: Sendable, Hashable {
        /// The bucket's id (`X-RateLimit-Bucket`).
        public var bucket: String?
        /// Requests per window (`X-RateLimit-Limit`).
        public var limit: Int?
        /// Requests left in this window (`X-RateLimit-Remaining`).
        public var remaining: Int?
        /// Seconds until the bucket refills.
        public var resetAfter: Double?
        /// On 429: seconds to wait, whether the limit is global, and its scope (`user`, `global`, `shared`).
        public var retryAfter: Double?
        /// Whether a 429 was the global limit.
        public var global: Bool
        /// The limit's scope (`X-RateLimit-Scope`).
        public var scope: String?

        /// Headers as read from a response.
        public init(
            bucket: String? = nil, limit: Int? = nil, remaining: Int? = nil, resetAfter: Double? = nil,
            retryAfter: Double? = nil, global: Bool = false, scope: String? = nil
        ) {
            self.bucket = bucket
            self.limit = limit
            self.remaining = remaining
            self.resetAfter = resetAfter
            self.retryAfter = retryAfter
            self.global = global
            self.scope = scope
        }
    }

    struct Bucket: Sendable {
        var limit: Int
        var remaining: Int
        var resetAt: Instant
        /// Counts the windows this client has opened locally (on reaching `resetAt`), to tell stale responses.
        var window: Int
        /// False while the window is only assumed (full after a local reset) and no response has confirmed it.
        var confirmed: Bool
    }

    /// Requests per second across every route (50 unless Discord raised the bot's).
    public var globalLimitPerSecond: Int
    private var hashes: [String: String] = [:]
    private var buckets: [String: Bucket] = [:]
    /// Keys of routes whose bucket is not known yet and that have a request out.
    private var probing: Set<String> = []
    private var globalBlockedUntil: Instant?
    private var globalWindowStart: Instant?
    private var globalWindowCount = 0

    /// An empty book with this global limit.
    public init(globalLimitPerSecond: Int = 50) {
        self.globalLimitPerSecond = globalLimitPerSecond
    }

    private func key(_ route: Route) -> String {
        (self.hashes[route.shape] ?? "shape:" + route.shape) + "|" + route.majorParameter
    }

    /// Asks to send `route` now; on `.proceed` the request's slot is taken.
    public mutating func reserve(_ route: Route, now: Instant) -> Decision {
        if !route.exemptFromGlobalLimit {
            if let until = self.globalBlockedUntil {
                if now < until { return .wait(until: until) }
                self.globalBlockedUntil = nil
            }
            if let start = self.globalWindowStart, now < start + .seconds(1) {
                if self.globalWindowCount >= self.globalLimitPerSecond { return .wait(until: start + .seconds(1)) }
            } else {
                self.globalWindowStart = now
                self.globalWindowCount = 0
            }
        }
        let key = self.key(route)
        if var bucket = self.buckets[key] {
            if now >= bucket.resetAt {
                // The window passed: assume a full bucket until the next response corrects it.
                bucket.remaining = bucket.limit
                bucket.resetAt = now + .seconds(60)
                bucket.window += 1
                bucket.confirmed = false
            }
            guard bucket.remaining > 0 else { return .wait(until: bucket.resetAt) }
            bucket.remaining -= 1
            self.buckets[key] = bucket
        } else {
            guard !self.probing.contains(key) else { return .wait(until: now + .milliseconds(25)) }
            self.probing.insert(key)
        }
        if !route.exemptFromGlobalLimit { self.globalWindowCount += 1 }
        return .proceed
    }

    /// The local window a request on `route` reserved now belongs to; pass it back to
    /// ``record(_:window:status:headers:now:)`` so a late answer from an earlier window is recognised.
    public func window(for route: Route) -> Int {
        self.buckets[self.key(route)]?.window ?? 0
    }

    /// A wait a response asked for, as a duration. The numbers come from the network: `Duration.seconds(_:)` traps on
    /// NaN, infinity and anything past Int128's range, so what is not a finite number of seconds ≥ 0 counts as one
    /// second (a 429 still pauses), and more than a day counts as a day (Discord's longest bans are an hour).
    static func wait(_ seconds: Double) -> Duration {
        guard seconds.isFinite, seconds >= 0 else { return .seconds(1) }
        return .seconds(min(seconds, 86_400))
    }

    /// Records a response (or the failure to get one: `headers` empty) for a reserved request. `window` is what
    /// ``window(for:)`` said when the request was reserved (`nil`: treat the response as current).
    public mutating func record(_ route: Route, window: Int? = nil, status: Int, headers: Headers, now: Instant) {
        let probeKey = self.key(route)
        self.probing.remove(probeKey)
        if let hash = headers.bucket { self.hashes[route.shape] = hash }
        let key = self.key(route)
        if let limit = headers.limit, let remaining = headers.remaining, let resetAfter = headers.resetAfter {
            let resetAt = now + Self.wait(resetAfter)
            if var bucket = self.buckets[key] {
                if let window, window < bucket.window {
                    // Sent before the local reset: it describes a window that is over, or one this client's newer
                    // requests have already been counted in; either way it must not refill the bucket.
                } else if bucket.confirmed {
                    // In-flight requests may not be counted in this answer yet (or the answer is older than one
                    // already seen): keep the lower count and the later reset.
                    bucket.remaining = min(bucket.remaining, remaining)
                    bucket.resetAt = max(bucket.resetAt, resetAt)
                } else {
                    bucket.remaining = min(bucket.remaining, remaining)
                    bucket.resetAt = resetAt
                    bucket.confirmed = true
                }
                bucket.limit = limit
                self.buckets[key] = bucket
            } else {
                self.buckets[key] = Bucket(
                    limit: limit, remaining: remaining, resetAt: resetAt, window: 0, confirmed: true)
            }
        }
        guard status == 429, let retryAfter = headers.retryAfter else { return }
        let until = now + Self.wait(retryAfter)
        if headers.global || headers.scope == "global" {
            self.globalBlockedUntil = max(self.globalBlockedUntil ?? until, until)
        } else {
            var bucket = self.buckets[key] ?? Bucket(limit: 1, remaining: 0, resetAt: until, window: 0, confirmed: true)
            bucket.remaining = 0
            bucket.resetAt = max(bucket.resetAt, until)
            self.buckets[key] = bucket
        }
    }

    /// The bucket hash learned for a route shape, if any (for tests and diagnostics).
    public func bucketHash(for route: Route) -> String? { self.hashes[route.shape] }
}
