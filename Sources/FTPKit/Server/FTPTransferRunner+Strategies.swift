import NIOCore

/// The ways a transfer moves its bytes, one function each.
extension FTPTransferRunner {
    /// LIST, NLST, MLSD: each entry's line (of those matching `pattern`), written straight into the outgoing buffer,
    /// in 60 KiB writes.
    func sendListing(
        _ listing: FTPDirectoryListing, matching pattern: FTPNamePattern?, line: (FTPFileInfo, inout ByteBuffer) -> Void,
        on channel: any Channel, progress: Progress
    ) async throws -> FTPTransferResult {
        var writer = ChunkWriter(channel: channel)
        try await ListingLines.write(
            listing, matching: pattern, into: channel.allocator.buffer(capacity: 64 * 1024), allocator: channel.allocator,
            line: line
        ) {
            progress.add($0.readableBytes)
            try await writer.write($0)
        }
        try await writer.finish()
        return self.finished(progress)
    }

    /// RETR: `sendfile(2)` when nothing has to see the bytes, else chunks read, converted and written.
    func send(_ handle: any FTPReadHandle, limit: UInt64?, on channel: any Channel, progress: Progress) async throws
        -> FTPTransferResult
    {
        defer { Task { await handle.close() } }
        let total = min(handle.remaining, limit ?? .max)
        // sendfile cannot pass through TLS (encrypted transfers read and write), ASCII conversion or a digest.
        if self.transfer.type == .binary, self.tls == nil, !self.digest, let region = handle.fileRegion {
            try await FTPDataConnection.sendFile(region, length: total, channel: channel, pacer: self.pacer) {
                progress.add($0)
            }
        } else {
            try await self.sendChunks(of: handle, total: total, on: channel, progress: progress)
        }
        return self.finished(progress)
    }

    private func sendChunks(of handle: any FTPReadHandle, total: UInt64, on channel: any Channel, progress: Progress)
        async throws
    {
        let ascii = self.transfer.type == .ascii
        var converter = ASCIIConverter(.toNetwork)
        var left = total
        // Up to 1 MiB pieces over TLS (256 KiB in the clear): a lone download moves fastest in large ones. What all
        // such downloads hold together is bounded by the server's budget: with many at once each reads smaller
        // pieces (200 FTPS downloads with 1 MiB pieces held 1.7 GB). A limited rate reads in its pacer's slices, so
        // each wait is short.
        self.readBudget?.begin()
        defer { self.readBudget?.end() }
        let cap = self.tls == nil ? 256 * 1024 : 1 << 20
        func chunkSize() -> Int {
            if let pacer = self.pacer { return pacer.slice }
            let size = min(cap, self.readBudget?.currentSize ?? cap)
            // Over TLS a little less, so the piece's records fit a buffer of that size.
            return self.tls == nil ? size : TLSRecords.plaintext(fitting: size)
        }
        // A local file is read inline while the page cache holds it, and read ahead on the file threads (two reads
        // in flight) when it must come from the disk, so a slow disk overlaps the cipher; other storages chunk by
        // chunk.
        let ahead = try handle.fileRegion.map {
            try FilePrefetcher(
                descriptor: $0.descriptor, from: $0.offset, to: $0.offset + total, chunkSize: chunkSize(), depth: 2,
                loop: channel.eventLoop)
        }
        var writer = ChunkWriter(channel: channel, window: 4)
        let digest = self.digest ? Digest(.sha256) : nil
        while left > 0 {
            let next: ByteBuffer?
            if let ahead {
                ahead.chunkSize = chunkSize()
                next = try await ahead.read()
            } else {
                next = try await handle.read(maxLength: Int(min(left, UInt64(chunkSize()))), allocator: channel.allocator)
            }
            guard let chunk = next else { break }
            left -= UInt64(chunk.readableBytes)
            if let digest { chunk.withUnsafeReadableBytes { digest.update($0) } }
            try await self.pacer?.take(chunk.readableBytes)
            let out = ascii ? converter.convert(chunk, allocator: channel.allocator) : chunk
            try await writer.write(out)
            progress.add(chunk.readableBytes)
        }
        try await writer.finish()
        if let digest, left == 0 { progress.sha256 = digest.finalizeHex() }
    }

    /// Later reads of `channel` take up to `size` bytes (the first read already happened: it was sized for any
    /// upload, ``FTPDataConnection/serverReceiveAllocator``).
    private static func setReadSize(_ size: Int, on channel: any Channel) {
        let allocator = TransferBufferBudget.receiveAllocator(readSize: size)
        if channel.eventLoop.inEventLoop, let options = channel.syncOptions {
            try? options.setOption(.recvAllocator, value: allocator)
        } else {
            // Fails only on a closed channel, which reads nothing more anyway.
            channel.setOption(.recvAllocator, value: allocator).whenFailure { _ in }
        }
    }

    /// STOR, APPE, STOU: the data connection read only as fast as storage writes (backpressure), committed only when
    /// the client ended the upload cleanly and still holds its control connection.
    func receive(
        into handle: any FTPWriteHandle, storedAs name: String?, from inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        on channel: any Channel, progress: Progress
    ) async -> FTPTransferResult {
        let ascii = self.transfer.type == .ascii
        var converter = ASCIIConverter(.fromNetwork)
        // Of the bytes stored (after ASCII conversion), so it matches a HASH of the file after STOR.
        let digest = self.digest ? Digest(.sha256) : nil
        self.receiveBudget?.begin()
        defer { self.receiveBudget?.end() }
        var readSize = 0
        do {
            do {
                for try await chunk in inbound {
                    if self.control.isAborted { break }
                    if let wanted = self.receiveBudget?.currentSize, wanted != readSize {
                        readSize = wanted
                        Self.setReadSize(wanted, on: channel)
                    }
                    // Waiting here leaves the socket unread: TCP's window closes and the client slows down.
                    try await self.pacer?.take(chunk.readableBytes)
                    let data = ascii ? converter.convert(chunk, allocator: channel.allocator) : chunk
                    if let digest { data.withUnsafeReadableBytes { digest.update($0) } }
                    do {
                        try await handle.write(data)
                    } catch {
                        await handle.abort()
                        return .localError(Self.storageError(error), bytes: progress.bytes)
                    }
                    progress.add(chunk.readableBytes)
                }
            } catch let error as TLSError where error == .uncleanShutdown && !self.requireCloseNotify {
                // The server was told to take a TCP close as the end of a TLS upload (vsftpd's default): every byte
                // sent before it was delivered above, so the upload ends here as a clear one ends at its close.
            }
            if ascii, let rest = converter.finish(allocator: channel.allocator) {
                if let digest { rest.withUnsafeReadableBytes { digest.update($0) } }
                try await handle.write(rest)
            }
        } catch {
            self.logger.debug("upload data connection failed", metadata: ["error": "\(error)"])
            await handle.abort()
            if self.control.isAborted { return .aborted(bytes: progress.bytes) }
            if let error = error as? TLSError, error == .uncleanShutdown { return .uncleanTLSEnd(bytes: progress.bytes) }
            return .connectionLost(bytes: progress.bytes)
        }
        if self.control.isAborted || progress.stalled {
            await handle.abort()
            return progress.stalled ? .connectionLost(bytes: progress.bytes) : .aborted(bytes: progress.bytes)
        }
        // The client may have died: without its control connection we cannot tell a complete upload from a truncated
        // one, so nothing is committed.
        guard await Self.connectionIsOpen(self.controlChannel) else {
            await handle.abort()
            return .connectionLost(bytes: progress.bytes)
        }
        do {
            try await handle.commit()
        } catch {
            return .localError(Self.storageError(error), bytes: progress.bytes)
        }
        if let digest { progress.sha256 = digest.finalizeHex() }
        return .completed(bytes: progress.bytes, name: name)
    }
}
