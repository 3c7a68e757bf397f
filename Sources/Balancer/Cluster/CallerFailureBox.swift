import Synchronization

/// An error from the caller's side of a transfer — a download's consumer, an upload's source — kept apart from the
/// nodes' errors: it ends the transfer as it is, whoever asked learns that their own side stopped (a web client that
/// hung up), and no node is logged or counted as failed for it.
package final class CallerFailureBox: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    package init() {}

    package var error: (any Error)? { self.stored.withLock { $0 } }

    package func set(_ error: any Error) { self.stored.withLock { $0 = error } }
}
