import CLinuxShims
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a region of a local file ahead of its consumer: several `pread`s in flight on the thread pool, handed
/// out in order. One read at a time left the socket idle during every hop to the pool and back (a 1 GiB upload
/// with 64 KiB reads ran at a third of curl's speed); with reads ahead the file and the socket work in parallel.
///
/// What the page cache already holds is read inline instead, by the caller's thread (`preadv2` with `RWF_NOWAIT`,
/// which never waits for the disk): a cached file needs no hop to the pool and back per chunk. Under 200 FTPS
/// downloads those hops, each a futex wake-up of a pool thread and another of the event loop, were the largest
/// cost after the cipher (Docs/benchmarks.md). A chunk not cached, or a file system without `RWF_NOWAIT`, goes
/// through the pool as before, with reads ahead.
///
/// Owns a duplicate of the descriptor, closed only once no read is in flight, so the caller may close its own
/// descriptor (or stop early and drop this) at any time.
final class FilePrefetcher {
    private let descriptor: CInt
    private var next: UInt64
    private let end: UInt64
    /// The size of the next reads; a caller may change it between reads (a server sizes them by its load).
    var chunkSize: Int {
        didSet { self.chunkSize = max(4096, self.chunkSize) }
    }
    /// Whether cached chunks are read inline (off after the file system refused `RWF_NOWAIT` once).
    private var readsCachedInline: Bool
    /// Chunks read inline, and reads sent to the thread pool (for tests and profiles).
    private(set) var inlineReads = 0
    private(set) var poolReads = 0
    private let depth: Int
    private let pool: NIOThreadPool
    private let loop: any EventLoop
    private var pending = CircularBuffer<EventLoopFuture<ByteBuffer>>()
    private var closed = false

    /// - Parameters:
    ///   - descriptor: a readable file; duplicated, not taken.
    ///   - offset, end: the region `[offset, end)`.
    ///   - depth: reads in flight; their buffers are the memory this costs (`depth × chunkSize`).
    ///   - readsCachedInline: whether chunks the page cache holds are read by the caller's thread.
    init(
        descriptor: CInt, from offset: UInt64, to end: UInt64, chunkSize: Int, depth: Int = 4,
        readsCachedInline: Bool = true, pool: NIOThreadPool = .singleton, loop: any EventLoop
    ) throws(FTPStorageError) {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw FTPStorageError(.io, "dup failed: \(String(cString: strerror(errno)))") }
        self.descriptor = copy
        self.next = offset
        self.end = end
        self.chunkSize = max(4096, chunkSize)
        self.readsCachedInline = readsCachedInline
        self.depth = max(1, depth)
        self.pool = pool
        self.loop = loop
    }

    deinit {
        // Reads still in flight use the descriptor: close it after the last one.
        let fd = self.descriptor
        if self.pending.isEmpty {
            if !self.closed { Glibc.close(fd) }
        } else {
            EventLoopFuture.andAllComplete(Array(self.pending), on: self.loop).whenComplete { _ in Glibc.close(fd) }
        }
    }

    /// The next chunk, or `nil` after the region's end. A chunk may be shorter than asked when the page cache held
    /// only its start, and at the end of the file: when the file shrank under us, the region ends early (compare
    /// the byte count with what you expect).
    func read() async throws(FTPStorageError) -> ByteBuffer? {
        // Reads ahead already on the pool go first, in order; after them, cached chunks are read here again.
        if self.pending.isEmpty, self.readsCachedInline, self.next < self.end {
            switch try self.readCached() {
            case .chunk(let chunk): return chunk
            case .endOfFile:
                self.next = self.end
                self.closeIfDone()
                return nil
            case .notCached: break
            }
        }
        self.fill()
        guard let first = self.pending.popFirst() else {
            self.closeIfDone()
            return nil
        }
        let chunk: ByteBuffer
        do {
            chunk = try await first.get()
        } catch {
            throw (error as? FTPStorageError) ?? FTPStorageError(.io, "read failed: \(error)")
        }
        if chunk.readableBytes == 0 {
            // Past the end of a file that shrank: nothing after this can have bytes either.
            self.next = self.end
            return nil
        }
        self.fill()
        return chunk
    }

    private enum CachedRead {
        case chunk(ByteBuffer)
        case endOfFile
        /// The chunk's first byte is not in the page cache, or the file system cannot say (`RWF_NOWAIT` refused).
        case notCached
    }

    /// The next chunk, or as much of its start as the page cache holds, read without waiting for the disk.
    private func readCached() throws(FTPStorageError) -> CachedRead {
        let count = Int(min(UInt64(self.chunkSize), self.end - self.next))
        let (buffer, endOfFile, failure) = Self.read(self.descriptor, count: count, at: self.next, waitingForDisk: false)
        if buffer.readableBytes > 0 {
            self.next += UInt64(buffer.readableBytes)
            self.inlineReads += 1
            return .chunk(buffer)
        }
        if endOfFile { return .endOfFile }
        switch failure {
        case EAGAIN: return .notCached
        case EOPNOTSUPP, ENOSYS, EINVAL:
            self.readsCachedInline = false
            return .notCached
        default:
            throw FTPStorageError(.io, "read failed: \(String(cString: strerror(failure)))")
        }
    }

    private func fill() {
        while self.pending.count < self.depth && self.next < self.end {
            let offset = self.next
            let count = Int(min(UInt64(self.chunkSize), self.end - offset))
            self.next += UInt64(count)
            self.poolReads += 1
            let fd = self.descriptor
            self.pending.append(self.pool.runIfActive(eventLoop: self.loop) { () throws -> ByteBuffer in
                let (buffer, _, failure) = Self.read(fd, count: count, at: offset, waitingForDisk: true)
                if failure != 0 { throw FTPStorageError(.io, "read failed: \(String(cString: strerror(failure)))") }
                return buffer
            })
        }
    }

    /// Up to `count` bytes of `fd` from `offset`: until the count, the end of the file (`endOfFile`), or an error
    /// (`failure`, an errno; what was read before it is kept). Without `waitingForDisk` only what the page cache
    /// holds is read, and the first byte missing from it ends the read (`EAGAIN` if it was the first).
    private static func read(_ fd: CInt, count: Int, at offset: UInt64, waitingForDisk: Bool)
        -> (buffer: ByteBuffer, endOfFile: Bool, failure: CInt)
    {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var endOfFile = false
        var failure: CInt = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw -> Int in
            var done = 0
            while done < count {
                let at = Int64(offset) + Int64(done)
                let r = waitingForDisk
                    ? pread(fd, raw.baseAddress! + done, count - done, off_t(at))
                    : seed_pread_nowait(fd, raw.baseAddress! + done, count - done, at)
                if r > 0 {
                    done += r
                } else if r == 0 {
                    endOfFile = true
                    break
                } else if errno != EINTR {
                    // Past the cached start of a chunk, a missing page just ends it early.
                    if done == 0 || waitingForDisk { failure = errno }
                    break
                }
            }
            return done
        }
        return (buffer, endOfFile, failure)
    }

    private func closeIfDone() {
        guard !self.closed, self.pending.isEmpty else { return }
        self.closed = true
        Glibc.close(self.descriptor)
    }
}
