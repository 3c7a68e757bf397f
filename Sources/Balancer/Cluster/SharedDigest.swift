import FTPKit
import NIOCore
import Synchronization

/// A SHA-256 fed from a `@Sendable` callback; the lock makes the (sequential) updates safe to share.
final class SharedDigest: Sendable {
    private let digest = Mutex(Digest(.sha256))
    func update(_ chunk: ByteBuffer) { self.digest.withLock { d in chunk.withUnsafeReadableBytes { d.update($0) } } }
    func finalize() -> String { self.digest.withLock { $0.finalizeHex() } }
}
