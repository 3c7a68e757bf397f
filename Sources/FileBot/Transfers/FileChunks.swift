public import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local file read in chunks as it is uploaded (never whole in memory).
///
/// The file is opened and read on a thread of the iteration's own. A FIFO's open waits for a writer, and each read
/// for the writer's next bytes; on Swift's cooperative threads (one per core, shared by everything the bot does:
/// the web links, the console, the gateway) a slow producer held one of them for as long as it took, and on NIO's
/// shared file threads it would hold back the embedded nodes' file calls instead.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    /// The file read.
    public let path: String

    /// The chunks of the file (or FIFO, or device) at `path`, read when iterated.
    public init(path: String) { self.path = path }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: Reader

        /// The next chunk; `nil` at the end. A file that cannot be opened or read throws a ``Refusal`` saying why.
        public mutating func next() async throws -> ByteBuffer? { try await self.reader.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: Reader(path: self.path)) }

    /// The file's descriptor and the one thread that opens and reads it.
    final class Reader: Sendable {
        private static let chunkSize = 256 * 1024
        private enum State { case unopened, open(CInt), ended }

        private let path: String
        private let thread = WaitingThread()
        /// Only the reading thread changes it, one read at a time; the lock makes that visible to `deinit`.
        private let state = Mutex(State.unopened)

        init(path: String) { self.path = path }

        deinit {
            if case .open(let fd) = self.state.withLock({ $0 }) { close(fd) }
        }

        func next() async throws -> ByteBuffer? {
            // The job holds `self`, so the descriptor cannot be closed under a read in flight.
            try await self.thread.run { try self.readChunk() }
        }

        private func readChunk() throws -> ByteBuffer? {
            try self.state.withLock { state -> ByteBuffer? in
                let fd: CInt
                switch state {
                case .ended: return nil
                case .open(let descriptor): fd = descriptor
                case .unopened:
                    fd = open(self.path, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw self.failure("opened") }
                    state = .open(fd)
                }
                var buffer = ByteBufferAllocator().buffer(capacity: Self.chunkSize)
                let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.chunkSize) { raw -> Int in
                    while true {
                        let n = read(fd, raw.baseAddress, Self.chunkSize)
                        if n >= 0 { return n }
                        if errno != EINTR { throw self.failure("read") }
                    }
                }
                guard count > 0 else {
                    close(fd)
                    state = .ended
                    return nil
                }
                return buffer
            }
        }

        /// What the person sees: the path and the system's reason, as one sentence.
        private func failure(_ what: String) -> Refusal {
            Refusal(.failed(problem: "\(self.path) could not be \(what): \(String(cString: strerror(errno)))."))
        }
    }
}
