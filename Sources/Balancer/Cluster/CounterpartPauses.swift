import Synchronization

/// The waits of a transfer on its other party — a download's consumer, an upload's source — so a node that ends
/// the transfer after such a wait is not blamed for it. A node stops waiting on a silent data connection after its
/// own stall timeout (ftpd: 30 s): when a web client stops reading a link, or pauses its upload, that long, the
/// node's 426 is the client's doing, and must neither count against the node's health nor tell the user that
/// storage failed.
final class CounterpartPauses: Sendable {
    /// A wait at least this long makes a node's failure soon after it the other party's.
    static let significant = Duration.seconds(5)
    /// How soon after such a wait a failure is still put down to it (the node may notice the silence late, and the
    /// bytes it buffered before are delivered first).
    static let window = Duration.seconds(60)

    private let lastLong = Mutex<(ended: ContinuousClock.Instant, length: Duration)?>(nil)

    /// Records a wait that began at `start` and ends now.
    func waited(since start: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        let length = now - start
        guard length >= Self.significant else { return }
        self.lastLong.withLock { $0 = (now, length) }
    }

    /// The long wait that explains a failure now, if any.
    var explainingWait: Duration? {
        let now = ContinuousClock.now
        return self.lastLong.withLock { last in
            guard let last, now - last.ended <= Self.window else { return nil }
            return last.length
        }
    }
}

/// A node's failure put down to a long wait on the transfer's other party (``CounterpartPauses``): not counted
/// against the node.
struct CounterpartPaused: Error, CustomStringConvertible {
    var wait: Duration
    var underlying: any Error
    var description: String { "the other party paused for \(wait); the node stopped waiting (\(underlying))" }

    /// Whole seconds, for messages to people.
    var seconds: Int64 { self.wait.components.seconds }
}
