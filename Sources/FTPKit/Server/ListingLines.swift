import NIOCore

/// Turns a listing into lines, written straight into outgoing buffers of about 60 KiB: LIST, NLST and MLSD on a
/// data connection, STAT on the control connection. Names with a line break are left out (no line could carry
/// them), and so are those `pattern` does not match.
enum ListingLines {
    static func write(
        _ listing: FTPDirectoryListing, matching pattern: FTPNamePattern?, into first: ByteBuffer,
        allocator: ByteBufferAllocator, line: (FTPFileInfo, inout ByteBuffer) -> Void,
        send: (ByteBuffer) async throws -> Void
    ) async throws {
        var buffer = first
        for try await entries in listing {
            for entry in entries where FTPListFormatter.fitsOnALine(entry.name) && pattern?.matches(entry.name) != false {
                line(entry, &buffer)
                buffer.writeStaticString("\r\n")
                if buffer.readableBytes >= 60 * 1024 {
                    try await send(buffer)
                    buffer = allocator.buffer(capacity: 64 * 1024)
                }
            }
        }
        if buffer.readableBytes > 0 { try await send(buffer) }
    }
}
