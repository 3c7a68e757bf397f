#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore
import NIOPosix

/// A file to attach to a message: streamed from disk or from any byte sequence, never read whole into memory.
public struct FileUpload: Sendable {
    /// The name Discord shows (and `attachment://name` in embeds refers to).
    public var filename: String
    /// The MIME type sent with the part.
    public var contentType: String
    /// The size when known: the request then carries a `Content-Length`.
    public var size: Int64?
    /// Opens a fresh byte stream; file uploads can be reopened to retry after a 429 or a 5xx.
    let open: @Sendable () async throws -> AsyncThrowingStream<ByteBuffer, any Error>
    /// Whether `open` may be called more than once.
    let reopenable: Bool

    /// A file on disk, read in 256 KiB chunks on NIO's thread pool.
    public static func file(
        path: String, filename: String? = nil, contentType: String = "application/octet-stream"
    ) throws(DiscordRESTError) -> FileUpload {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadableFile(path: path, reason: "not a regular file") }
        let name = filename ?? String(path.split(separator: "/").last ?? Substring(path))
        return FileUpload(
            filename: name, contentType: contentType, size: Int64(info.st_size),
            open: {
                let reader = try FileChunkReader(path: path)
                return AsyncThrowingStream(unfolding: { try await reader.next() })
            },
            reopenable: true
        )
    }

    /// Bytes already in memory (small generated files).
    public static func bytes(
        _ buffer: ByteBuffer, filename: String, contentType: String = "application/octet-stream"
    ) -> FileUpload {
        FileUpload(
            filename: filename, contentType: contentType, size: Int64(buffer.readableBytes),
            open: {
                AsyncThrowingStream { continuation in
                    continuation.yield(buffer)
                    continuation.finish()
                }
            },
            reopenable: true
        )
    }

    /// Any byte sequence (a download from another server, say). It can be sent only once, so a request that
    /// carries it is not retried after its body started.
    public static func stream<Bytes: AsyncSequence & Sendable>(
        _ bytes: Bytes, size: Int64?, filename: String, contentType: String = "application/octet-stream"
    ) -> FileUpload where Bytes.Element == ByteBuffer {
        let source = OneShot(bytes)
        return FileUpload(
            filename: filename, contentType: contentType, size: size,
            open: {
                let next = try await source.take()
                return AsyncThrowingStream(unfolding: { try await next.next() })
            },
            reopenable: false
        )
    }
}

/// Hands out the iterator of a sequence once.
private actor OneShot<Bytes: AsyncSequence & Sendable> where Bytes.Element == ByteBuffer {
    private var bytes: Bytes?
    init(_ bytes: Bytes) { self.bytes = bytes }

    func take() throws -> IteratorBox<Bytes> {
        guard let bytes = self.bytes else {
            throw DiscordRESTError.transport(route: "attachment", reason: "a streamed attachment cannot be sent twice")
        }
        self.bytes = nil
        return IteratorBox(bytes.makeAsyncIterator())
    }
}

/// Owns one iterator; the actor serialises `next()` calls, which is all an iterator needs.
private actor IteratorBox<Bytes: AsyncSequence & Sendable> where Bytes.Element == ByteBuffer {
    private var iterator: Bytes.AsyncIterator
    init(_ iterator: Bytes.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? {
        var it = self.iterator
        let value = try await it.next(isolation: self)
        self.iterator = it
        return value
    }
}
