/// Whether a wait on Discord (or its CDN) has lasted too long: pure, the time is given.
///
/// Only waits on the peer count — from asking for the next piece until it arrives. A reader that pauses between
/// pieces (a slow storage node behind it) is not waiting on Discord, so its pauses never fail a download; a
/// response that stops arriving while it is asked for does, after `limit`. The driver is ``WatchedBody``.
struct PeerWaitState: Sendable {
    let limit: Duration
    /// When the wait under way began; `nil` while the reader holds no pending read.
    private(set) var waitingSince: ContinuousClock.Instant?
    /// Set once a wait passed `limit`; every later read fails too.
    private(set) var stalled = false

    init(limit: Duration) { self.limit = limit }

    mutating func waitStarted(at now: ContinuousClock.Instant) {
        self.waitingSince = now
    }

    /// The wait ended; whether it had been declared stalled (its result, whatever it is, must not be used).
    mutating func waitEnded() -> Bool {
        self.waitingSince = nil
        return self.stalled
    }

    /// `true` exactly once: when the wait under way has passed `limit` at `now` (the driver then cancels it).
    mutating func check(at now: ContinuousClock.Instant) -> Bool {
        guard !self.stalled, let since = self.waitingSince, now - since >= self.limit else { return false }
        self.stalled = true
        return true
    }
}
