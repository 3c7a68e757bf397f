public import Foundation

extension Process {
    /// Runs the process and waits for it to exit, woken by its termination handler (no thread blocked, no
    /// polling); returns its exit status. Cancelling the waiting task terminates the process.
    public func runToExit() async throws -> Int32 {
        let (exited, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try self.run()
        for await status in exited { return status }
        // Cancelled while it runs.
        if self.isRunning {
            self.terminate()
            self.waitUntilExit()
        }
        return self.terminationStatus
    }
}
