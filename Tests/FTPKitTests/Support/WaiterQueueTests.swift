import Synchronization
import Testing
import SeedTestSupport

@testable import FTPKit

/// The queue behind FTPClient's one-exchange-at-a-time rule and the connection pool's waiting callers: first come
/// first served, and a cancelled waiter leaves at once instead of holding its place.
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct WaiterQueueTests {
    final class Order: Sendable {
        private let values = Mutex<[Int]>([])
        func append(_ i: Int) { self.values.withLock { $0.append(i) } }
        var all: [Int] { self.values.withLock { $0 } }
    }

    /// Waits until `queue` holds `n` waiters (they register from their own tasks).
    func waitFor(_ n: Int, in queue: WaiterQueue) async {
        while queue.count != n { await Task.yield() }
    }

    @Test func waitersAreResumedInArrivalOrder() async throws {
        let queue = WaiterQueue()
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<3 {
                group.addTask {
                    try await queue.wait()
                    order.append(i)
                }
                await waitFor(i + 1, in: queue)
            }
            for expected in 1...3 {
                #expect(queue.resumeNext())
                while order.all.count < expected { await Task.yield() }
            }
            try await group.waitForAll()
        }
        #expect(order.all == [0, 1, 2])
        #expect(!queue.resumeNext(), "nobody left to wake")
    }

    @Test func aCancelledWaiterLeavesTheQueueAndTheNextOneIsServed() async throws {
        let queue = WaiterQueue()
        let first = Task { try await queue.wait() }
        await waitFor(1, in: queue)
        let second = Task { try await queue.wait() }
        await waitFor(2, in: queue)
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(queue.count == 1)
        #expect(queue.resumeNext())
        try await second.value
        #expect(queue.count == 0)
    }

    @Test func aTaskCancelledBeforeWaitingDoesNotWait() async throws {
        let queue = WaiterQueue()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await queue.wait()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(queue.count == 0)
    }

    @Test func resumeAllWakesEveryone() async throws {
        let queue = WaiterQueue()
        let tasks = (0..<4).map { _ in Task { try await queue.wait() } }
        await waitFor(4, in: queue)
        queue.resumeAll()
        for task in tasks { try await task.value }
    }
}
