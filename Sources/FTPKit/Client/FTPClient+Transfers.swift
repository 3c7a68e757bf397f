import Foundation
public import NIOCore
import NIOPosix
import Synchronization

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
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FTPClientError(.local, "cannot read \(localPath): \(String(cString: strerror(errno)))") }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        defer { try? handle.close() }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FTPClientError(.local, "cannot stat \(localPath)") }
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

    // MARK: - Data connections

    enum TransferKind { case download, upload }

    /// Reads of at most 256 KiB: the buffer a read fills is still in the CPU cache when the consumer reads it.
    /// With 1 MiB reads, the kernel's copy into cold memory dominated a loopback download (0.7× curl against
    /// 1.1× with these).
    static let downloadAllocator = AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: 256 * 1024, maximum: 256 * 1024)

    /// Makes the data connection's close a reset (SO_LINGER 0). An upload that stops early (cancelled, or its source
    /// failed) must not end with a FIN: on the data connection that is FTP's end of file, and the server would store
    /// the bytes so far as the whole file (and replace the one it had) before our ABOR reached it. A reset is a
    /// failed transfer to every server.
    /// The error a data connection that waited on the server for the whole data timeout reports.
    static func stallError(after timeout: Duration) -> FTPClientError {
        FTPClientError(.timeout, "the data connection moved no data for \(timeout) while waiting on the server")
    }

    /// Set once a data connection's watchdog ended it, so the transfer reports the timeout rather than what the
    /// close made of its last write.
    final class StallVerdict: Sendable {
        private let stalled = Atomic<Bool>(false)
        var isStalled: Bool { self.stalled.load(ordering: .acquiring) }
        func markStalled() { self.stalled.store(true, ordering: .releasing) }
    }

    static func resetOnClose(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let socket = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
        return socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
    }

    /// Opens the data connection (EPSV/PASV or EPRT/PORT), sends `command`, runs `body` over the data channel and
    /// reads the final reply. Cancelling the calling task aborts the transfer (ABOR) and keeps the control
    /// connection usable.
    func transfer(
        _ command: String, kind: TransferKind,
        _ body: (any Channel, NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> Bool
    ) async throws(FTPClientError) {
        let endpoint = try await self.openDataEndpoint()
        let preliminary: FTPReply
        do {
            preliminary = try await self.command(command)
        } catch {
            await endpoint.close()
            throw error
        }
        guard preliminary.code == 150 || preliminary.code == 125 else {
            await endpoint.close()
            if preliminary.isSuccess { return }  // some servers answer an empty listing with 226 at once
            throw FTPClientError(.replyError, "the server refused \(command)", reply: preliminary, command: command)
        }
        let data: DataChannel
        do {
            data = try await endpoint.channel(timeout: self.configuration.dataTimeout)
        } catch {
            _ = try? await self.readReply()
            throw FTPClientError(.connectionFailed, "no data connection: \(error)", command: command)
        }

        var bodyError: (any Error)?
        var complete = true
        let dataChannel = data.channel
        let timeout = self.configuration.dataTimeout
        let isUpload = kind == .upload
        // Only time spent waiting on the server counts (``StallState``): a slow consumer or a pausing source is not
        // a stalled link. A stalled upload is reset, never closed with a FIN: on a data connection a FIN is the end
        // of the file, and the server would store the part it had as the whole.
        let stall = StallVerdict()
        try? await dataChannel.eventLoop.submit {
            let watchdog = StallWatchdog(watching: isUpload ? .writes : .reads, timeout: timeout) { context in
                stall.markStalled()
                context.fireErrorCaught(Self.stallError(after: timeout))
                if isUpload {
                    StallWatchdog.reset(dataChannel)
                } else {
                    dataChannel.close(promise: nil)
                }
            }
            try dataChannel.pipeline.syncOperations.addHandler(watchdog, position: .first)
        }.get()
        let waitForTicket = kind == .upload && self.dataProtected
        await withTaskCancellationHandler {
            do {
                complete = try await data.executeThenClose { inbound, outbound in
                    let result: Bool
                    do {
                        result = try await body(dataChannel, inbound, outbound)
                    } catch {
                        // Closed next by executeThenClose: with a reset, not the FIN that says "end of file".
                        if isUpload { try? await Self.resetOnClose(dataChannel).get() }
                        throw error
                    }
                    // An upload's connection may close before the server's session ticket was read; the next data
                    // connection needs one (single-use TLS 1.3 tickets), so wait for it briefly.
                    if waitForTicket { await Self.awaitTicket(on: dataChannel, upTo: .seconds(1)) }
                    return result
                }
            } catch {
                bodyError = error
            }
        } onCancel: {
            if isUpload {
                Self.resetOnClose(dataChannel).whenComplete { _ in dataChannel.close(promise: nil) }
            } else {
                dataChannel.close(promise: nil)
            }
        }
        if bodyError == nil && !complete {
            // The caller stopped reading early: abort rather than drain the rest of the file.
            try await self.abortAndResync()
            return
        }

        if Task.isCancelled || bodyError is CancellationError {
            // The resynchronisation must not run in the cancelled task: its reply stream would end at once.
            let resync = Task { () async -> FTPClientError? in
                do {
                    try await self.abortAndResync()
                    return nil
                } catch {
                    return (error as? FTPClientError) ?? FTPClientError(.connectionClosed, "\(error)")
                }
            }
            if let error = await resync.value { throw error }
            throw FTPClientError(.invalidState, "cancelled; the transfer was aborted", command: command)
        }
        if let bodyError {
            if let e = bodyError as? FTPClientError, e.code == .local {
                try await self.abortAndResync()
                throw e
            }
            if !(bodyError is ChannelError) && !(bodyError is IOError) && !(bodyError is FTPClientError) {
                // The caller's body failed: stop the transfer, keep the session.
                try await self.abortAndResync()
                throw FTPClientError(.local, "\(bodyError)", command: command)
            }
        }
        // A reply, but one a server may take a while to give (it finishes writing the file first): the longer of
        // the two limits, so a short data timeout set to notice dead links does not cut a slow disk.
        let final = try await self.readReply(timeout: max(self.configuration.replyTimeout, self.configuration.dataTimeout))
        if stall.isStalled {
            // Whatever the close made of the last write or read (and the server of the reset), the cause is the
            // silence before it.
            let error = Self.stallError(after: timeout)
            throw FTPClientError(error.code, error.message, reply: final, command: command)
        }
        guard final.isSuccess else {
            throw FTPClientError(.replyError, "\(command) failed", reply: final, command: command)
        }
        if let bodyError {
            throw FTPClientError(.connectionClosed, "data connection failed: \(bodyError)", reply: final, command: command)
        }
    }

    /// Waits until the data connection's TLS handler saw a session ticket, or `limit`.
    static func awaitTicket(on channel: any Channel, upTo limit: Duration) async {
        let loop = channel.eventLoop
        guard let done = try? await loop.submit({ () throws -> EventLoopFuture<Void> in
            let promise = loop.makePromise(of: Void.self)
            let settled = NIOLoopBoundBox(false, eventLoop: loop)
            let settle: @Sendable () -> Void = {
                guard !settled.value else { return }
                settled.value = true
                promise.succeed()
            }
            let timer = loop.scheduleTask(in: .init(limit)) { settle() }
            let ticket = try channel.pipeline.syncOperations.handler(type: OpenSSLHandler.self).ticketReceived
            ticket?.whenComplete { _ in
                timer.cancel()
                settle()
            }
            return promise.futureResult
        }).get() else { return }
        try? await done.get()
    }

    /// After an interrupted transfer: ABOR, then NOOP, and read until NOOP's answer so no stale reply is left.
    func abortAndResync() async throws(FTPClientError) {
        try await self.send("ABOR")
        try await self.send("NOOP")
        for _ in 0..<5 {
            let reply = try await self.readReply()
            if reply.code == 200 { return }
        }
        throw FTPClientError(.protocolViolation, "could not resynchronise after ABOR")
    }

    /// With `PROT P`: how to wrap a data connection (TLS client, resuming the control connection's newest session,
    /// which servers such as vsftpd with `require_ssl_reuse` insist on).
    func dataTLS() async -> ClientTLSSetup? {
        guard self.dataProtected, let context = self.tlsContext else { return nil }
        let session: TLSSession?
        if let newest = context.sessions.take() {
            session = newest
        } else {
            session = await self.controlSession()
        }
        return ClientTLSSetup(context: context, serverName: self.tlsServerName, session: session)
    }

    private func openDataEndpoint() async throws(FTPClientError) -> DataEndpoint {
        switch self.configuration.dataMode {
        case .passive: return try await self.openPassive()
        case .active: return try await self.openActive()
        }
    }

    private func openPassive() async throws(FTPClientError) -> DataEndpoint {
        var port: Int?
        var host = self.host
        if !self.epsvUnsupported {
            let reply = try await self.command("EPSV")
            if reply.code == 229, let p = FTPHostPort.parseEPSVReply(reply.text) {
                port = p
            } else if reply.isPermanentFailure {
                self.epsvUnsupported = true
            } else {
                throw FTPClientError(.replyError, "EPSV failed", reply: reply, command: "EPSV")
            }
        }
        if port == nil {
            let reply = try await self.expect("PASV", [227])
            guard let target = FTPHostPort.parsePASVReply(reply.text) else {
                throw FTPClientError(.protocolViolation, "unreadable PASV reply", reply: reply, command: "PASV")
            }
            port = target.port
            if self.configuration.trustPassiveAddress { host = target.host }
        }
        let tls = await self.dataTLS()
        do {
            let channel = try await ClientBootstrap(group: self.channel.eventLoop)
                .connectTimeout(.init(self.configuration.connectTimeout))
                .channelOption(.recvAllocator, value: Self.downloadAllocator)
                // Writes are large anyway; without Nagle an upload's last partial segment does not wait for the
                // server's delayed ACK before the transfer can end.
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(.writeSpin, value: 1)
                .channelOption(.maxMessagesPerRead, value: 16)
                .connect(host: host, port: port!) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(try tls.makeHandler()) }
                        return try DataChannel(wrappingChannelSynchronously: channel, configuration: FTPDataConnection.asyncConfiguration)
                    }
                }
            return .connected(channel)
        } catch {
            throw FTPClientError(.connectionFailed, "cannot open the data connection to \(host):\(port!): \(error)")
        }
    }

    private func openActive() async throws(FTPClientError) -> DataEndpoint {
        guard let local = self.channel.localAddress?.ipAddress, let remote = self.channel.remoteAddress?.ipAddress else {
            throw FTPClientError(.invalidState, "no local address for active mode")
        }
        let listener: PassiveListener
        do {
            listener = try await PassiveListener.open(
                group: self.channel.eventLoop, host: local, range: nil, expectedPeer: IPAddressText.canonical(remote),
                logger: .init(label: "ftp-client"), clientTLS: await self.dataTLS())
        } catch {
            throw FTPClientError(.local, "cannot listen for the data connection: \(error)")
        }
        let canonical = IPAddressText.canonical(local)
        if !self.eprtUnsupported {
            let family = canonical.contains(":") ? 2 : 1
            let reply = try await self.command("EPRT |\(family)|\(canonical)|\(listener.port)|")
            if reply.code == 200 { return .listening(listener) }
            if !reply.isPermanentFailure {
                listener.close()
                throw FTPClientError(.replyError, "EPRT failed", reply: reply, command: "EPRT")
            }
            self.eprtUnsupported = true
        }
        guard let tuple = FTPHostPort(host: canonical, port: listener.port).pasvTuple else {
            listener.close()
            throw FTPClientError(.notSupported, "the server refuses EPRT and PORT needs IPv4")
        }
        do {
            try await self.expect("PORT \(tuple)", [200])
        } catch {
            listener.close()
            throw error
        }
        return .listening(listener)
    }
}

/// What a client's data connection needs for TLS: the context, the name to verify, the session to resume.
struct ClientTLSSetup: Sendable {
    let context: TLSContext
    let serverName: String
    let session: TLSSession?

    func makeHandler() throws -> OpenSSLHandler {
        try OpenSSLHandler(
            context: self.context, serverHostname: self.serverName, resuming: self.session, dataConnection: true)
    }
}

/// A data connection that is connected (passive) or will be accepted (active).
enum DataEndpoint {
    case connected(FTPClient.DataChannel)
    case listening(PassiveListener)

    func channel(timeout: Duration) async throws -> FTPClient.DataChannel {
        switch self {
        case .connected(let c): return c
        case .listening(let l): return try await l.accept(timeout: timeout).channel
        }
    }

    /// Discards the connection. A wrapped async channel must be closed through `executeThenClose`.
    func close() async {
        switch self {
        case .connected(let c): try? await c.executeThenClose { _, _ in }
        case .listening(let l): l.close()
        }
    }
}

/// The bytes of a download as they arrive. Iterate it once; stopping early aborts the rest of the transfer.
public struct FTPDownloadStream: AsyncSequence {
    public typealias Element = ByteBuffer

    /// One iterator over the data connection, shared so the transfer can tell whether the body read to the end.
    final class State {
        var base: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var bytes: UInt64
        var finished = false
        /// Reading the data connection threw: an error out of the body is then the connection's, not the body's.
        var connectionFailed = false
        init(base: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, bytes: UInt64) {
            self.base = base
            self.bytes = bytes
        }
    }

    let state: State
    let total: UInt64?
    let progress: (@Sendable (FTPTransferProgress) -> Void)?

    init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, start: UInt64, total: UInt64?,
        progress: (@Sendable (FTPTransferProgress) -> Void)?
    ) {
        self.state = State(base: inbound.makeAsyncIterator(), bytes: start)
        self.total = total
        self.progress = progress
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let state: State
        let total: UInt64?
        let progress: (@Sendable (FTPTransferProgress) -> Void)?

        public mutating func next() async throws -> ByteBuffer? {
            guard !self.state.finished else { return nil }
            var base = self.state.base
            let chunk: ByteBuffer?
            do {
                chunk = try await base.next()
            } catch {
                self.state.connectionFailed = true
                throw error
            }
            self.state.base = base
            guard let chunk else {
                self.state.finished = true
                return nil
            }
            self.state.bytes += UInt64(chunk.readableBytes)
            self.progress?(FTPTransferProgress(bytes: self.state.bytes, total: self.total))
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(state: self.state, total: self.total, progress: self.progress)
    }
}

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

