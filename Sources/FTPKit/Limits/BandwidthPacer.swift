import Synchronization

/// One shared rate (the whole server's, or one user's, in one direction): a ``TokenBucket`` behind a lock, so
/// every transfer that draws on it queues in the same line.
final class BandwidthMeter: Sendable {
    private let bucket: Mutex<TokenBucket>
    let rate: UInt64

    init(rate: UInt64) {
        self.rate = rate
        self.bucket = Mutex(TokenBucket(rate: rate))
    }

    func reserve(_ bytes: Int, now: ContinuousClock.Instant) -> Duration {
        self.bucket.withLock { $0.reserve(bytes, now: now) }
    }

    var slice: Int { self.bucket.withLock { $0.slice } }
}

/// What one transfer draws on: the server's meter and its user's, for its direction. Each piece is reserved on
/// every meter first and then waited for (the longest wait wins), so no meter is ever asked twice for one piece.
struct BandwidthPacer: Sendable {
    let meters: [BandwidthMeter]

    init?(_ meters: [BandwidthMeter?]) {
        let present = meters.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        self.meters = present
    }

    /// The piece size to pace by: the smallest of the meters' slices.
    var slice: Int { self.meters.map(\.slice).min() ?? 64 * 1024 }

    /// Waits until `bytes` may be sent (or, for an upload, kept). Throws `CancellationError` when the transfer is
    /// cancelled while waiting.
    ///
    /// A large amount is taken one slice at a time, each after the previous one's wait: an upload's read can hold
    /// a megabyte, and reserved at once it would jump ahead of every other session sharing the meter.
    func take(_ bytes: Int) async throws {
        let slice = self.slice
        var left = bytes
        while left > 0 {
            let piece = min(left, slice)
            left -= piece
            let now = ContinuousClock.now
            let wait = self.meters.map { $0.reserve(piece, now: now) }.max() ?? .zero
            if wait > .zero { try await Task.sleep(until: now + wait, clock: .continuous) }
        }
    }
}

/// The server's meters and each user's, created when first needed. A user's meters are shared by all their
/// sessions (that is what makes the limit per user) and live as long as the server: a few hundred bytes a user.
final class BandwidthBook: Sendable {
    private struct Meters: Sendable {
        var upload: BandwidthMeter?
        var download: BandwidthMeter?
        var limits: FTPBandwidthLimits
    }

    private let global: Meters
    private let users = Mutex<[String: Meters]>([:])

    init(global: FTPBandwidthLimits) {
        self.global = Self.meters(global)
    }

    private static func meters(_ limits: FTPBandwidthLimits) -> Meters {
        Meters(
            upload: limits.uploadBytesPerSecond.map(BandwidthMeter.init(rate:)),
            download: limits.downloadBytesPerSecond.map(BandwidthMeter.init(rate:)), limits: limits)
    }

    /// The pacers for a session of `user` limited to `limits` (nil where neither the server nor the user has a
    /// limit). A changed limit (reloaded users file) gets fresh meters; sessions already running keep theirs.
    func pacers(user: String, limits: FTPBandwidthLimits) -> (upload: BandwidthPacer?, download: BandwidthPacer?) {
        let mine: Meters = self.users.withLock { users in
            if let existing = users[user], existing.limits == limits { return existing }
            let fresh = Self.meters(limits)
            users[user] = fresh
            return fresh
        }
        return (BandwidthPacer([self.global.upload, mine.upload]), BandwidthPacer([self.global.download, mine.download]))
    }

    /// The pacers for a transfer before login or of a user with no limits of their own.
    var globalPacers: (upload: BandwidthPacer?, download: BandwidthPacer?) {
        (BandwidthPacer([self.global.upload]), BandwidthPacer([self.global.download]))
    }
}
