import Foundation
public import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FTPClient {
    /// A data connection as a stream of buffers, for the `withDataChannel` style of transfer.
    public typealias DataChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// How an upload treats the remote file.
    public enum UploadMode: Sendable, Hashable {
        /// STOR: replace it.
        case replace
        /// APPE: add to its end.
        case append
        /// REST n + STOR: keep its first n bytes and write from there (resuming an upload).
        case resume(at: UInt64)
    }

    // MARK: - Listing

    /// The entries of a directory: `MLSD` when the server offers it (exact sizes and UTC times), else `LIST`
    /// parsed from the Unix, DOS or EPLF formats. Lines that cannot be parsed come back as `.unparsed` entries.
    public func list(_ path: String? = nil) async throws(FTPClientError) -> [FTPListEntry] {
        try await self.exclusive {
            let machine = self.features.supports("MLST")
            let command = (machine ? "MLSD" : "LIST") + (path.map { " \($0)" } ?? "")
            let data = try await self.receiveListing(command)
            return data.withUnsafeReadableBytes { FTPListParser.parseListing($0, machine: machine) }
        }
    }

    /// The names `NLST` returns for `path`: a directory's entries as bare names. For a file or a pattern
    /// (`pub/*.txt`, which ftpd, vsftpd and ProFTPD expand) servers differ: ftpd and vsftpd return the paths as typed
    /// (`pub/a.txt`), as `ls` prints them, pyftpdlib bare names or 550.
    public func names(_ path: String? = nil) async throws(FTPClientError) -> [String] {
        try await self.exclusive {
            let data = try await self.receiveListing("NLST" + (path.map { " \($0)" } ?? ""))
            return data.withUnsafeReadableBytes { FTPListParser.parseNames($0) }
        }
    }

    private func receiveListing(_ command: String) async throws(FTPClientError) -> ByteBuffer {
        var data = ByteBuffer()
        try await self.transfer(command, kind: .download) { channel, inbound, _ in
            for try await var chunk in inbound {
                if data.readableBytes + chunk.readableBytes > 256 * 1024 * 1024 {
                    throw FTPClientError(.protocolViolation, "listing larger than 256 MiB")
                }
                data.writeBuffer(&chunk)
            }
            return true
        }
        return data
    }

    // MARK: - Downloads

    /// Streams a file: `body` gets its bytes as they arrive, with backpressure (the server is not read faster
    /// than `body` consumes). Starts at `offset` (REST) to resume. Returns what `body` returns. An error `body`
    /// throws itself (not one from reading the stream) ends the transfer with ABOR and comes back as a
    /// ``FTPClientError/Code/local`` error: the session stays usable, and the server is not blamed.
    ///
    /// `body` prefers the connection's event loop as its task executor, so each chunk is consumed on the thread
    /// that read it (a hop to another thread per chunk cost a third of a loopback download's speed). Do not block
    /// in it: hand blocking work (file writes) and long computation to a thread pool or your own actor, as
    /// ``downloadFile(_:to:resume:progress:)`` does. Short work per chunk, such as hashing it (about 150 µs for
    /// 256 KiB), is cheapest here, while the chunk is still in the cache.
    public func download<R: Sendable>(
        _ path: String, offset: UInt64 = 0, progress: (@Sendable (FTPTransferProgress) -> Void)? = nil,
        _ body: (FTPDownloadStream) async throws -> R
    ) async throws(FTPClientError) -> R {
        try await self.exclusive {
            var total: UInt64?
            if progress != nil, let size = try? await self.expect("SIZE \(path)", [213]) {
                total = UInt64(size.text.trimmingSpaces())
            }
            if offset > 0 { try await self.expect("REST \(offset)", [350]) }
            var result: R?
            try await self.transfer("RETR \(path)", kind: .download) { channel, inbound, _ in
                let stream = FTPDownloadStream(inbound: inbound, start: offset, total: total, progress: progress)
                do {
                    result = try await withTaskExecutorPreference(self.executor) { try await body(stream) }
                } catch where !stream.state.connectionFailed && !(error is FTPClientError) && !(error is CancellationError) {
                    // The body's own failure, not the data connection's, whatever its type: a consumer writing
                    // to a socket of its own (a web client that hung up) throws channel errors too, and those
                    // must not read as this server's connection failing.
                    throw FTPClientError(.local, "\(error)", command: "RETR \(path)")
                }
                return stream.state.finished
            }
            guard let result else { throw FTPClientError(.invalidState, "the download produced no result") }
            return result
        }
    }

    /// Downloads to a local file, written through a temporary file and renamed when complete. With `resume`, an
    /// existing local file is continued from its size (REST) instead.
    public func downloadFile(
        _ path: String, to localPath: String, resume: Bool = false,
        progress: (@Sendable (FTPTransferProgress) -> Void)? = nil
    ) async throws(FTPClientError) -> UInt64 {
        // A pipe or device there would be replaced by the file renamed over it (as root, even `/dev/null`), or with
        // `resume` opened for a writer that waits for its reader: refused; `download(_:)` streams to anything.
        var info = stat()
        if stat(localPath, &info) == 0, ![S_IFREG, S_IFDIR].contains(info.st_mode & S_IFMT) {
            throw FTPClientError(.local, "cannot download into \(localPath): not a regular file (stream it with download(_:))")
        }
        var offset: UInt64 = 0
        if resume, let attributes = try? FileManager.default.attributesOfItem(atPath: localPath),
            let size = attributes[.size] as? NSNumber
        {
            offset = size.uint64Value
        }
        let target = resume ? localPath : NameBytes.path(beside: localPath, suffix: ".part-\(UInt32.random(in: 0...UInt32.max))")
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? O_APPEND : O_TRUNC)
        let fd = open(target, flags, 0o644)
        guard fd >= 0 else { throw FTPClientError(.local, "cannot write \(target): \(String(cString: strerror(errno)))") }
        let file = LocalFileWriter(descriptor: fd)
        do throws(FTPClientError) {
            let written = try await self.download(path, offset: offset, progress: progress) { stream in
                var n: UInt64 = 0
                for try await chunk in stream {
                    try await file.write(chunk)
                    n += UInt64(chunk.readableBytes)
                }
                return n
            }
            try file.close()
            if !resume, Glibc.rename(target, localPath) != 0 {
                throw FTPClientError(.local, "cannot move into \(localPath): \(String(cString: strerror(errno)))")
            }
            return offset + written
        } catch {
            try? file.close()
            if !resume { unlink(target) }
            throw error
        }
    }

    // MARK: - Uploads

    /// Uploads the bytes of any async sequence of buffers, with backpressure. Returns the bytes sent.
    @discardableResult
    public func upload<Source: AsyncSequence & Sendable>(
        _ source: Source, to path: String, mode: UploadMode = .replace, total: UInt64? = nil,
        progress: (@Sendable (FTPTransferProgress) -> Void)? = nil
    ) async throws(FTPClientError) -> UInt64 where Source.Element == ByteBuffer {
        try await self.exclusive {
            let command = try await self.prepareUpload(path, mode: mode)
            let start: UInt64 = if case .resume(let at) = mode { at } else { 0 }
            var sent: UInt64 = 0
            try await self.transfer(command, kind: .upload) { channel, _, _ in
                // Written with futures, not the async writer: the connection closes right after, and a close
                // drops whatever is still queued.
                var writer = ChunkWriter(channel: channel)
                for try await chunk in source {
                    try await writer.write(chunk)
                    sent += UInt64(chunk.readableBytes)
                    progress?(FTPTransferProgress(bytes: start + sent, total: total))
                }
                try await writer.finish()
                return true
            }
            return sent
        }
    }

    /// Uploads a local file, with `sendfile(2)` on the data connection. With `resume`, asks the server how much it
    /// already has (SIZE) and sends only the rest (REST + STOR).
    @discardableResult
    public func uploadFile(
        from localPath: String, to path: String, resume: Bool = false,
        progress: (@Sendable (FTPTransferProgress) -> Void)? = nil
    ) async throws(FTPClientError) -> UInt64 {
        // Only a regular file has the size that is sent; a pipe or device (whose size reads 0) would go up as an
        // empty file, reported as a success. The open does not wait for a FIFO's writer either.
        let fd: CInt
        let st: stat
        switch RegularFileOpening.open(at: AT_FDCWD, localPath, flags: O_RDONLY) {
        case .opened(let opened, let status): (fd, st) = (opened, status)
        case .failed(let code): throw FTPClientError(.local, "cannot read \(localPath): \(String(cString: strerror(code)))")
        case .directory, .special:
            throw FTPClientError(.local, "cannot upload \(localPath): not a regular file (stream it with upload(_:from:))")
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        defer { try? handle.close() }
        let size = UInt64(st.st_size)
        return try await self.exclusive {
            var offset: UInt64 = 0
            if resume {
                try await self.setType(.binary)
                let reply = try await self.command("SIZE \(path)")
                if reply.code == 213, let remote = UInt64(reply.text.trimmingSpaces()) {
                    guard remote <= size else {
                        throw FTPClientError(.local, "the remote file is larger than \(localPath)", reply: reply)
                    }
                    offset = remote
                }
            }
            if resume && offset == size {
                progress?(FTPTransferProgress(bytes: size, total: size))
                return 0
            }
            let command = try await self.prepareUpload(path, mode: offset > 0 ? .resume(at: offset) : .replace)
            let encrypted = self.dataProtected
            let sending = self.configuration.fileSending
            // Over TLS a little less than the configured size, so each piece's records fit one buffer of that size.
            let chunkSize = encrypted ? TLSRecords.plaintext(fitting: self.configuration.chunkSize) : self.configuration.chunkSize
            try await self.transfer(command, kind: .upload) { channel, _, _ in
                let sent = Progress(start: offset)
                if !encrypted, sending.usesSendfile(to: channel.remoteAddress) {
                    try await FTPDataConnection.sendFile((fd, offset, size - offset), length: size - offset, channel: channel) {
                        progress?(FTPTransferProgress(bytes: sent.add($0), total: size))
                    }
                    return true
                }
                // Read chunks ahead on the thread pool and write them (sendfile cannot pass through TLS).
                let reader: FilePrefetcher
                do throws(FTPStorageError) {
                    reader = try FilePrefetcher(
                        descriptor: fd, from: offset, to: size, chunkSize: chunkSize, depth: 2, loop: channel.eventLoop)
                } catch {
                    throw FTPClientError(.local, "cannot read \(localPath): \(error.message)")
                }
                var writer = ChunkWriter(channel: channel)
                var position = offset
                while position < size {
                    let chunk: ByteBuffer?
                    do throws(FTPStorageError) {
                        chunk = try await reader.read()
                    } catch {
                        throw FTPClientError(.local, "cannot read \(localPath): \(error.message)")
                    }
                    guard let chunk else { throw FTPClientError(.local, "\(localPath) shrank while being sent") }
                    position += UInt64(chunk.readableBytes)
                    try await writer.write(chunk)
                    progress?(FTPTransferProgress(bytes: sent.add(chunk.readableBytes), total: size))
                }
                try await writer.finish()
                return true
            }
            return size - offset
        }
    }

    private func prepareUpload(_ path: String, mode: UploadMode) async throws(FTPClientError) -> String {
        try await self.setType(.binary)
        switch mode {
        case .replace: return "STOR \(path)"
        case .append: return "APPE \(path)"
        case .resume(let at):
            if at > 0 { try await self.expect("REST \(at)", [350]) }
            return "STOR \(path)"
        }
    }
}
