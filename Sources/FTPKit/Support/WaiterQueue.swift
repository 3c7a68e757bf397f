import Synchronization

/// Tasks waiting their turn, first come first served, for the owners of a scarce thing (a client's control
/// connection, a pool's connections): ``wait()`` suspends until ``resumeNext()`` picks the caller, and a waiter
/// whose task is cancelled leaves the queue at once with `CancellationError` instead of holding its place
/// forever. The state is behind a lock, not in the owner's actor, so a cancellation (which runs on whatever thread
/// cancelled the task) removes its waiter synchronously.
package final class WaiterQueue: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        /// In arrival order; a few entries, so removal by scanning is fine.
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// How many tasks are waiting.
    package var count: Int { self.state.withLock { $0.waiting.count } }

    /// Suspends until picked by ``resumeNext()`` or ``resumeAll()``; throws `CancellationError` if the task is
    /// cancelled first (or already was).
    package func wait() async throws {
        let id = self.state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled: Bool = self.state.withLock { s in
                    // Cancelled before the continuation existed: the handler found nothing to remove.
                    if Task.isCancelled { return true }
                    s.waiting.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let removed = self.state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let index = s.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiting.remove(at: index).continuation
            }
            removed?.resume(throwing: CancellationError())
        }
    }

    /// Wakes the oldest waiter; `false` when nobody waits.
    @discardableResult
    package func resumeNext() -> Bool {
        let next = self.state.withLock { s in s.waiting.isEmpty ? nil : s.waiting.removeFirst().continuation }
        next?.resume()
        return next != nil
    }

    /// Wakes every waiter (on close: each finds out for itself that there is nothing to wait for any more).
    package func resumeAll() {
        let all = self.state.withLock { s in
            defer { s.waiting = [] }
            return s.waiting.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }
}
