import FTPKit
import NIOCore

/// A SHA-256 computed by a child task from a queue of its own, so hashing runs beside the transfer (on the other
/// core) instead of in its path. Chunks are shared, not copied.
struct BackgroundDigest: Sendable {
    let queue = ChunkQueue(capacity: 8)

    /// The hashing loop: run it as a child task of the transfer; returns the hex digest once the queue is finished.
    func run() async -> String? {
        let digest = SharedDigest()
        do {
            while let chunk = try await self.queue.next() { digest.update(chunk) }
            return digest.finalize()
        } catch {
            return nil
        }
    }

    func update(_ chunk: ByteBuffer) async { _ = await self.queue.push(chunk) }

    /// No more chunks: `run()` returns the digest.
    func finish() { self.queue.finish() }

    /// The transfer failed: `run()` returns `nil` at once.
    func cancel() { self.queue.finish(throwing: CancellationError()) }
}
