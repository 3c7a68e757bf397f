import FileBot
import Foundation
import NIOCore
import Synchronization
import Testing
import SeedTestSupport

/// A local file read for an upload (the console's `!upload PATH`): whole, in order, with a plain sentence when it
/// cannot be read, and without holding any thread the rest of the bot needs while a FIFO waits for its writer.
@Suite(.tags(.unit), .inTestSet(.unit)) struct FileChunksTests {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func collect(_ chunks: FileChunks) async throws -> Data {
        var all = Data()
        for try await chunk in chunks { all.append(contentsOf: chunk.readableBytesView) }
        return all
    }

    @Test func aFileIsReadWholeAndAMissingOneIsNamed() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Data((0..<1_000_003).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: dir.appendingPathComponent("f.bin"))
        #expect(try await Self.collect(FileChunks(path: dir.appendingPathComponent("f.bin").path)) == bytes)
        #expect(try await Self.collect(FileChunks(path: "/dev/null")).isEmpty)

        let missing = dir.appendingPathComponent("gone.bin").path
        let refusal = await #expect(throws: Refusal.self) { _ = try await Self.collect(FileChunks(path: missing)) }
        #expect(refusal?.reason == .failed(problem: "\(missing) could not be opened: No such file or directory."))
        let directory = await #expect(throws: Refusal.self) { _ = try await Self.collect(FileChunks(path: dir.path)) }
        #expect(directory?.reason == .failed(problem: "\(dir.path) could not be read: Is a directory."))
    }

    /// More FIFOs than the machine has cores, each read before anyone writes to it: every one waits on a thread of
    /// its own, so this test's own async code (which runs on Swift's cooperative threads, one per core) goes on and
    /// finds a reader at each FIFO. Read on the cooperative threads, as before, the waiting opens held all of them:
    /// nothing async could run, so a plain thread feeds the FIFOs after 30 s to end the test, and says it had to.
    @Test func waitingForAFIFOsWriterHoldsNoSharedThread() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = (0...ProcessInfo.processInfo.activeProcessorCount).map { dir.appendingPathComponent("fifo\($0)").path }
        for path in paths { #expect(mkfifo(path, 0o600) == 0) }
        let readers = paths.map { path in Task { try await Self.collect(FileChunks(path: path)) } }

        let rescue = Rescue(paths)
        var writers: [Int32] = []
        // A writer opened without blocking finds the FIFO's reader, or fails (ENXIO) while there is none yet.
        try await eventually("a reader at every FIFO") {
            for path in paths.dropFirst(writers.count) {
                let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else { return false }
                writers.append(fd)
            }
            return true
        }
        rescue.cancel()
        for (i, fd) in writers.enumerated() {
            let text = Array("fifo \(i)\n".utf8)
            #expect(write(fd, text, text.count) == text.count)
            close(fd)
        }
        for (i, reader) in readers.enumerated() {
            #expect(try await reader.value == Data("fifo \(i)\n".utf8))
        }
        #expect(!rescue.fired, "the FIFOs' readers held every cooperative thread until a plain thread fed them")
    }

    /// Feeds every FIFO an end (opens it for writing and closes it) from a thread of its own after 30 s, unless
    /// cancelled first.
    final class Rescue: Sendable {
        private let cancelled = DispatchSemaphore(value: 0)
        private let state = Mutex(false)
        var fired: Bool { self.state.withLock { $0 } }

        init(_ paths: [String]) {
            let thread = Thread { [self] in
                guard self.cancelled.wait(timeout: .now() + 30) == .timedOut else { return }
                self.state.withLock { $0 = true }
                for path in paths {
                    let fd = open(path, O_RDWR | O_CLOEXEC)
                    if fd >= 0 { close(fd) }
                }
            }
            thread.start()
        }

        func cancel() { self.cancelled.signal() }
    }
}
