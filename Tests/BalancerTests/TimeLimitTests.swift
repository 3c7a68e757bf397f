import Synchronization
import Testing
import SeedTestSupport

@testable import Balancer

/// Waiting for work that may never answer, on a clock the test moves: the answer when it comes,
/// ``TimeLimit/Exceeded`` once nothing is heard for the limit even if the work ignores cancellation, no cut while
/// the work reports progress, and the caller's own cancellation honoured.
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct TimeLimitTests {
    @Test func anAnswerInTimeIsReturned() async throws {
        let value = try await TimeLimit.run(.seconds(30)) { 42 }
        #expect(value == 42)
        await #expect(throws: Oops.self) { _ = try await TimeLimit.run(.seconds(30)) { () throws -> Int in throw Oops() } }
    }

    /// The work waits on something cancellation cannot reach (as a query on a stalled connection does): the caller
    /// is answered anyway once the limit passes, and the work is told it was given up on.
    @Test func workThatNeverAnswersIsGivenUpOn() async throws {
        let clock = ManualClock(), work = Gate()
        let waiting = Task {
            try await TimeLimit.run(.seconds(30), clock: clock) { () -> Bool in
                await work.wait()
                return Task.isCancelled
            }
        }
        try await eventually("the limit's timer to sleep") { clock.sleeping.count == 1 && work.isWaiting }
        clock.advance(by: .seconds(29))
        #expect(clock.sleeping.count == 1, "not yet")
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: TimeLimit.Exceeded.self) { _ = try await waiting.value }
        #expect(error?.limit == .seconds(30))
        work.open()
        try await eventually("the abandoned work to see itself cancelled") { work.sawCancellation == true }
    }

    /// What the work produces after its caller was answered without it goes to `late`, to be let go; a result in
    /// time does not.
    @Test func aLateResultIsHandedOverToBeLetGo() async throws {
        let clock = ManualClock(), work = Gate()
        let handedOver = Mutex<[Int]>([])
        let waiting = Task {
            try await TimeLimit.run(.seconds(5), clock: clock, late: { value in handedOver.withLock { $0.append(value) } }) {
                await work.wait()
                return 7
            }
        }
        try await eventually("the limit's timer to sleep") { clock.sleeping.count == 1 && work.isWaiting }
        clock.advance(by: .seconds(5))
        await #expect(throws: TimeLimit.Exceeded.self) { _ = try await waiting.value }
        work.open()
        try await eventually("the late result to be handed over") { handedOver.withLock { $0 } == [7] }

        let inTime = try await TimeLimit.run(.seconds(5), clock: clock, late: { value in handedOver.withLock { $0.append(value) } }) { 8 }
        #expect(inTime == 8)
        #expect(handedOver.withLock { $0 } == [7])
    }

    /// Progress restarts the limit: work that hears from its peer within each limit runs past the first one.
    @Test func progressKeepsLongWorkAlive() async throws {
        let clock = ManualClock(), beat = Gate(), finish = Gate()
        let waiting = Task {
            try await TimeLimit.run(.seconds(10), clock: clock) { () -> String in
                await beat.wait()
                TimeLimit.progressed()
                await finish.wait()
                return "done"
            }
        }
        try await eventually("the limit's timer to sleep") { clock.sleeping.count == 1 && beat.isWaiting }
        clock.advance(by: .seconds(8))
        beat.open()
        try await eventually("the work to report progress") { finish.isWaiting }
        clock.advance(by: .seconds(4))  // 12 s in: past the first limit, 4 s after the progress
        try await eventually("the timer to sleep on to 10 s after the progress") {
            clock.sleeping.map(\.offset) == [.seconds(18)]
        }
        finish.open()
        #expect(try await waiting.value == "done")
        TimeLimit.progressed()  // outside any limit: nothing to restart, and no harm
    }

    @Test func theCallersCancellationEndsTheWait() async throws {
        let clock = ManualClock(), work = Gate()
        let waiting = Task { try await TimeLimit.run(.seconds(3600), clock: clock) { await work.wait() } }
        try await eventually("the work to start") { work.isWaiting }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        work.open()
    }

    struct Oops: Error {}

    /// A wait that ends only when the test opens it, whatever its task's cancellation says; it remembers whether
    /// the task was cancelled by then.
    final class Gate: Sendable {
        private let state = Mutex<(waiter: CheckedContinuation<Void, Never>?, open: Bool, cancelled: Bool?)>((nil, false, nil))
        var isWaiting: Bool { self.state.withLock { $0.waiter != nil } }
        var sawCancellation: Bool? { self.state.withLock { $0.cancelled } }

        func wait() async {
            await withCheckedContinuation { c in
                let open = self.state.withLock { s in
                    if !s.open { s.waiter = c }
                    return s.open
                }
                if open { c.resume() }
            }
            self.state.withLock { $0.cancelled = Task.isCancelled }
        }

        func open() {
            let waiter = self.state.withLock { s in
                s.open = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
