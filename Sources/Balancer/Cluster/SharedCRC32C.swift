import FTPKit
import NIOCore
import Synchronization

/// A CRC-32C fed from a `@Sendable` callback, as ``SharedDigest``.
final class SharedCRC32C: Sendable {
    private let crc = Mutex(CRC32C())
    func update(_ chunk: ByteBuffer) { self.crc.withLock { $0.update(chunk) } }
    var value: UInt32 { self.crc.withLock { $0.value } }
}
