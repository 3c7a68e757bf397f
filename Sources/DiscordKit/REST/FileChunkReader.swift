#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Sequential reads of one file on NIO's blocking-I/O thread pool.
actor FileChunkReader {
    private let fd: Int32
    private var offset: Int64 = 0
    private let chunkSize: Int

    init(path: String, chunkSize: Int = 256 * 1024) throws(DiscordRESTError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        self.fd = fd
        self.chunkSize = chunkSize
    }

    deinit { close(self.fd) }

    func next() async throws -> ByteBuffer? {
        let (fd, offset, size) = (self.fd, self.offset, self.chunkSize)
        let buffer = try await NIOThreadPool.singleton.runIfActive { () throws -> ByteBuffer in
            var buffer = ByteBufferAllocator().buffer(capacity: size)
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw -> Int in
                while true {
                    let n = pread(fd, raw.baseAddress, size, off_t(offset))
                    if n >= 0 { return n }
                    if errno != EINTR { throw IOError(errnoCode: errno, reason: "pread") }
                }
            }
            return buffer
        }
        guard buffer.readableBytes > 0 else { return nil }
        self.offset += Int64(buffer.readableBytes)
        return buffer
    }
}
