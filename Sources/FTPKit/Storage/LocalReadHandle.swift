import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local file open for reading. Exposes its descriptor so plain transfers go through `sendfile(2)`.
final class LocalReadHandle: FTPReadHandle {
    let descriptor: CInt
    let start: UInt64
    let end: UInt64
    let threadPool: NIOThreadPool
    /// The next offset to read, and whether the descriptor was closed.
    private let state: Mutex<(position: UInt64, closed: Bool)>

    init(descriptor: CInt, offset: UInt64, end: UInt64, threadPool: NIOThreadPool) {
        self.descriptor = descriptor
        self.start = offset
        self.end = end
        self.threadPool = threadPool
        self.state = Mutex((offset, false))
    }

    deinit {
        let closed = self.state.withLock { $0.closed }
        if !closed { Glibc.close(self.descriptor) }
    }

    var remaining: UInt64 { self.end - self.state.withLock { $0.position } }

    var fileRegion: (descriptor: CInt, offset: UInt64, length: UInt64)? {
        (self.descriptor, self.start, self.end - self.start)
    }

    func read(maxLength: Int, allocator: ByteBufferAllocator) async throws -> ByteBuffer? {
        let position = self.state.withLock { $0.position }
        guard position < self.end else { return nil }
        let length = Int(min(UInt64(maxLength), self.end - position))
        let fd = self.descriptor
        let buffer = try await self.threadPool.runIfActive { () throws -> ByteBuffer in
            var buffer = allocator.buffer(capacity: length)
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
                pread(fd, raw.baseAddress, length, off_t(position))
            }
            if n < 0 { throw FTPStorageError(.io, "read failed: \(String(cString: strerror(errno)))") }
            return buffer
        }
        if buffer.readableBytes == 0 { return nil }  // the file shrank under us
        self.state.withLock { $0.position += UInt64(buffer.readableBytes) }
        return buffer
    }

    func close() async {
        let wasOpen = self.state.withLock { s in
            defer { s.closed = true }
            return !s.closed
        }
        if wasOpen { Glibc.close(self.descriptor) }
    }
}
