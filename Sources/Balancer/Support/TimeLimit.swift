import Synchronization

/// Waits for work as long as it keeps making progress, and no longer, without waiting for the work to stop.
///
/// For calls that cannot be cancelled and may never answer: postgres-nio's queries wait as long as their connection
/// lives, and a stalled server or a lost network keeps a connection alive for hours. Task cancellation cannot reach
/// them, so a task group (which waits for every child) would wait as long. The work runs as a task of its own; once
/// it has gone `limit` without progress the caller gets ``Exceeded``, and the work is cancelled and left to finish
/// or fail on its own (the caller can close what it waits on, which usually makes it fail at once).
///
/// Progress is what the work reports with ``progressed()`` (a query answered, a row read): a long transaction
/// that keeps hearing from the server is not cut short, one that hears nothing for `limit` is.
package enum TimeLimit {
    /// `limit` passed without an answer.
    package struct Exceeded: Error, Sendable {
        package let limit: Duration
    }

    /// Called by work under ``run(_:clock:late:_:)`` (anywhere in it, through a task-local) each time it hears from its
    /// peer: the limit starts again. Outside such work it does nothing.
    package static func progressed() {
        Self.current?()
    }

    /// `body`'s result, or ``Exceeded`` once `limit` has passed on `clock` without progress (or `CancellationError`
    /// when the caller is cancelled); the work is cancelled in both cases, and not awaited.
    /// - Parameter late: given a result the work produced after the caller was answered without it, so what it
    ///   holds (a connection, a lock) can be let go.
    package static func run<T: Sendable, C: Clock<Duration>>(
        _ limit: Duration, clock: C = ContinuousClock(), late: (@Sendable (T) -> Void)? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        let watch = Watch(clock)
        let work = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await Self.$current.withValue({ watch.beat() }) { try await body() })
            } catch {
                result = .failure(error)
            }
            if !outcome.settle(result), case .success(let value) = result { late?(value) }
        }
        let timer = Task {
            var deadline = watch.last.advanced(by: limit)
            while true {
                do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return }  // answered
                let next = watch.last.advanced(by: limit)
                guard next > deadline else { break }  // nothing heard while asleep
                deadline = next
            }
            outcome.settle(.failure(Exceeded(limit: limit)))
        }
        defer {
            timer.cancel()
            work.cancel()
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { outcome.wait($0) }
        } onCancel: {
            outcome.settle(.failure(CancellationError()))
        }
    }

    /// What ``progressed()`` calls: the running work's ``Watch``.
    @TaskLocal private static var current: (@Sendable () -> Void)?

    /// When the work last made progress.
    private final class Watch<C: Clock>: Sendable {
        private let clock: C
        private let lastBeat: Mutex<C.Instant>
        init(_ clock: C) {
            self.clock = clock
            self.lastBeat = Mutex(clock.now)
        }
        var last: C.Instant { self.lastBeat.withLock { $0 } }
        func beat() {
            let now = self.clock.now
            self.lastBeat.withLock { $0 = now }
        }
    }

    /// The first result of several racing settlers, handed to one waiter whether it arrives before or after it.
    private final class Outcome<T: Sendable>: Sendable {
        private enum State {
            case empty
            case waiting(CheckedContinuation<T, any Error>)
            case settled(Result<T, any Error>)
            case done
        }
        private let state = Mutex(State.empty)

        func wait(_ continuation: CheckedContinuation<T, any Error>) {
            let ready = self.state.withLock { state -> Result<T, any Error>? in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .settled(let result):
                    state = .done
                    return result
                case .waiting, .done:
                    preconditionFailure("one waiter only")
                }
            }
            if let ready { continuation.resume(with: ready) }
        }

        /// Whether `result` is the one the waiter gets (false: another settled first).
        @discardableResult
        func settle(_ result: Result<T, any Error>) -> Bool {
            let (won, waiter) = self.state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
                switch state {
                case .empty:
                    state = .settled(result)
                    return (true, nil)
                case .waiting(let continuation):
                    state = .done
                    return (true, continuation)
                case .settled, .done:
                    return (false, nil)
                }
            }
            waiter?.resume(with: result)
            return won
        }
    }
}
