import Hummingbird
import NIOCore

/// A link download's response writer that always holds back the latest chunk, so the last one is written only once
/// the cluster has verified the whole file (``finish()``): bytes that do not match end the response short, and the
/// client sees a failed download, never a wrong file.
///
/// Why `@unchecked Sendable` is safe: the cluster calls a download's consumer from one `for try await` loop over
/// one replica's stream at a time (replicas are tried one after another, `Cluster+Download.swift`), each call
/// awaited before the next, and ``finish()`` runs only after the download has returned. So the writer is never
/// used from two tasks at once; the conformance only lets it cross into that `@Sendable` consumer.
/// Measured against a queue between the download and a writing task (`Docs/benchmarks.md`): 0.64–0.71 CPU-s of the
/// bot per GiB against 0.79–0.82, the same speed or better.
final class HeldBackWriter: @unchecked Sendable {
    private var writer: any ResponseBodyWriter
    private var held: ByteBuffer?

    init(_ writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    /// Writes the chunk before this one and holds this one back. Throws when the client has gone.
    func write(_ chunk: ByteBuffer) async throws {
        if let previous = self.held.take() { try await self.writer.write(previous) }
        self.held = chunk
    }

    /// The file is verified: writes the held chunk and ends the response.
    func finish() async throws {
        if let last = self.held.take() { try await self.writer.write(last) }
        try await self.writer.finish(nil)
    }
}
