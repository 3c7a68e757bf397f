import Synchronization

/// An error of a download's consumer, kept apart from the node's errors: it ends the download as it is, and whoever
/// asked for the download learns that its own receiver stopped (a web client that hung up), not a node.
package final class ConsumerFailureBox: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    package init() {}

    package var error: (any Error)? { self.stored.withLock { $0 } }

    package func set(_ error: any Error) { self.stored.withLock { $0 = error } }
}
