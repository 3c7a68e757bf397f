import Synchronization
import Testing
import SeedTestSupport

@testable import Balancer

/// Waiting for work that may never answer: the answer when it comes, ``TimeLimit/Exceeded`` when nothing is heard
/// for the limit even if the work ignores cancellation, no cut while the work reports progress, and the caller's
/// own cancellation honoured.
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct TimeLimitTests {
    @Test func anAnswerInTimeIsReturned() async throws {
        let value = try await TimeLimit.run(.seconds(30)) { 42 }
        #expect(value == 42)
        await #expect(throws: Oops.self) { _ = try await TimeLimit.run(.seconds(30)) { () throws -> Int in throw Oops() } }
    }

    /// The work waits on something cancellation cannot reach (as a query on a stalled connection does): the caller
    /// is answered anyway, and the work is told it was given up on.
    @Test func workThatNeverAnswersIsGivenUpOn() async throws {
        let stuck = Stuck()
        let error = await #expect(throws: TimeLimit.Exceeded.self) {
            _ = try await TimeLimit.run(.milliseconds(200)) { () -> Bool in
                await stuck.wait()
                return Task.isCancelled
            }
        }
        #expect(error?.limit == .milliseconds(200))
        #expect(await stuck.release(), "the abandoned work sees itself cancelled")
    }

    /// Progress restarts the limit: work that keeps hearing from its peer runs well past it.
    @Test func progressKeepsLongWorkAlive() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let rounds = try await TimeLimit.run(.seconds(2)) { () -> Int in
            var rounds = 0
            while clock.now - start < .seconds(5) {
                try await Task.sleep(for: .milliseconds(10))
                TimeLimit.progressed()
                rounds += 1
            }
            return rounds
        }
        #expect(rounds > 0)
        TimeLimit.progressed()  // outside any limit: nothing to restart, and no harm
    }

    @Test func theCallersCancellationEndsTheWait() async throws {
        let stuck = Stuck()
        let waiting = Task { try await TimeLimit.run(.seconds(3600)) { await stuck.wait() } }
        try await eventually("the work to start") { stuck.isWaiting }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        _ = await stuck.release()
    }

    struct Oops: Error {}

    /// Work that waits until the test lets it go, whatever its task's cancellation says.
    final class Stuck: Sendable {
        private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let finished = Mutex<Bool?>(nil)
        var isWaiting: Bool { self.waiter.withLock { $0 != nil } }

        func wait() async {
            await withCheckedContinuation { c in self.waiter.withLock { $0 = c } }
            self.finished.withLock { $0 = Task.isCancelled }
        }

        /// Lets the work go; answers whether it saw itself cancelled.
        func release() async -> Bool {
            while true {
                if let c = self.waiter.withLock({ w in defer { w = nil }; return w }) {
                    c.resume()
                    break
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            while true {
                if let cancelled = self.finished.withLock({ $0 }) { return cancelled }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
