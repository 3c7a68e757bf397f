import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FTPClient {
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
