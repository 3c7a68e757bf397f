import FileBot
import Foundation
import NIOCore
import Synchronization
import Testing
import SeedTestSupport

/// A download written into a named pipe (the console's `!download NAME /path/to/fifo`) waits for the pipe's reader
/// on a thread of its own, never on one the rest of the bot shares.
@Suite(.tags(.unit), .inTestSet(.unit)) struct FileSinkTests {
    /// This process's threads waiting in a FIFO's open for the other end (the kernel's `wait_for_partner`).
    static func threadsWaitingForAPartner() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { procFileText("/proc/self/task/\($0)/wchan") == "wait_for_partner" }.count
    }

    /// More pipes than the machine has cores, each opened for a download before anyone reads it: each open waits
    /// on a thread of its own, so this test's own async code (on Swift's cooperative threads, one per core) goes on,
    /// sees them all waiting, and reads what each download wrote. Opened on the cooperative threads, as before, the
    /// waiting opens held all of them: a plain thread then opens the pipes after 30 s to end the test, and says so.
    @Test func waitingForAPipesReaderHoldsNoSharedThread() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = (0...ProcessInfo.processInfo.activeProcessorCount).map { dir.appendingPathComponent("fifo\($0)").path }
        for path in paths { #expect(mkfifo(path, 0o600) == 0) }
        let rescue = PipeRescue(paths)
        defer { rescue.finish() }
        let downloads = paths.enumerated().map { i, path in
            Task {
                let sink = try await FileSink.open(destination: path)
                try await sink.write(ByteBuffer(string: "download \(i)\n"))
                try sink.commit()
            }
        }
        try await eventually("every download waiting for its pipe's reader") {
            Self.threadsWaitingForAPartner() >= paths.count
        }
        rescue.cancel()
        for (i, path) in paths.enumerated() {
            let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            #expect(try reader.readToEnd() == Data("download \(i)\n".utf8))
            try reader.close()
        }
        for download in downloads { try await download.value }
        #expect(!rescue.fired, "the downloads' opens held every cooperative thread until a plain thread opened the pipes")
    }

    /// Opens every pipe for reading and writing from a thread of its own after 30 s, unless cancelled first, which
    /// ends any open waiting for a reader; holds them until ``finish()``, so a write that follows finds its reader.
    final class PipeRescue: Sendable {
        private let cancelled = DispatchSemaphore(value: 0)
        private let state = Mutex<(fired: Bool, held: [Int32])>((false, []))
        var fired: Bool { self.state.withLock { $0.fired } }

        init(_ paths: [String]) {
            Thread { [self] in
                guard self.cancelled.wait(timeout: .now() + 30) == .timedOut else { return }
                let held = paths.map { open($0, O_RDWR | O_CLOEXEC) }.filter { $0 >= 0 }
                self.state.withLock { $0 = (true, held) }
            }.start()
        }

        func cancel() { self.cancelled.signal() }

        func finish() {
            self.cancel()
            for fd in self.state.withLock({ $0.held }) { close(fd) }
        }
    }
}
