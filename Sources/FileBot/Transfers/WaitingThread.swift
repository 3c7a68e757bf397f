import NIOPosix

/// One thread of its own for work that may wait on something slow for as long as it likes: a FIFO's open waits
/// for its partner and each read or write for the other side. On a shared thread (Swift's cooperative ones, or
/// NIO's file threads, which the embedded nodes use too) such a wait held back the rest of the bot.
///
/// The thread goes when the last reference does. A job still waiting then (a read on a FIFO nobody writes) keeps
/// it until the wait ends: nothing waits for that.
final class WaitingThread: Sendable {
    private let pool = NIOThreadPool(numberOfThreads: 1)

    init() { self.pool.start() }

    deinit { self.pool.shutdownGracefully { _ in } }

    /// Runs `body` on the thread; jobs run one at a time, in order.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await self.pool.runIfActive(body)
    }
}
