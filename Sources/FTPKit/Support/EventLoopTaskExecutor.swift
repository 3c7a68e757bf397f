import NIOCore

/// Runs Swift tasks on one NIO event loop, so code that consumes a channel's async streams wakes up on the thread
/// that reads the socket instead of on the cooperative pool (a futex wake-up per chunk otherwise).
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
