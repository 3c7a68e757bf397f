import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Writes downloaded chunks to a local file off the event loops.
final class LocalFileWriter: Sendable {
    let descriptor: CInt
    init(descriptor: CInt) { self.descriptor = descriptor }

    func write(_ buffer: ByteBuffer) async throws {
        let fd = self.descriptor
        try await NIOThreadPool.singleton.runIfActive {
            let failure = buffer.withUnsafeReadableBytes { writeAll(fd, $0) }
            if failure != 0 { throw FTPClientError(.local, "write failed: \(String(cString: strerror(failure)))") }
        }
    }

    func close() throws(FTPClientError) {
        if Glibc.close(self.descriptor) != 0 { throw FTPClientError(.local, "close failed") }
    }
}
