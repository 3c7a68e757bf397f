import FTPKit
import NIOCore

/// An upload's checksums: the SHA-256 (hex) that identifies the content, which nodes can compute too (`HASH`)
/// and ``Cluster/scrub()`` compares, and the CRC-32C that downloads check (``DownloadCheck``).
struct UploadChecksums: Sendable, Hashable {
    var sha256: String
    var crc32c: UInt32
}

/// An upload's SHA-256 and CRC-32C computed by a child task from a queue of its own, so hashing runs beside the
/// transfer (on the other core) instead of in its path. Chunks are shared, not copied; each is hashed, then
/// checksummed while it is still in the cache.
struct BackgroundDigest: Sendable {
    let queue = ChunkQueue(capacity: 8)

    /// The hashing loop: run it as a child task of the transfer; returns the checksums once the queue is finished.
    func run() async -> UploadChecksums? {
        let digest = Digest(.sha256)
        var crc = CRC32C()
        do {
            while let chunk = try await self.queue.next() {
                chunk.withUnsafeReadableBytes {
                    digest.update($0)
                    crc.update($0)
                }
            }
            return UploadChecksums(sha256: digest.finalizeHex(), crc32c: crc.value)
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
