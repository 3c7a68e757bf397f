#if OpenSSL
import COpenSSL
import NIOCore

/// TLS over a channel with OpenSSL: ciphertext from the network is queued for OpenSSL (``CiphertextBuffers``, read
/// through a custom BIO), plaintext comes out of `SSL_read`; plaintext writes go through `SSL_write`, whose
/// records land in one outgoing buffer.
///
/// States: handshaking → active → closing → closed. Writes before the handshake completes are held and sent
/// after it. A peer that disappears without close_notify is reported as an unclean shutdown (an error on the
/// pipeline) so an upload is never taken as complete.
final class OpenSSLHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State { case handshaking, active, closing, closed }

    private let ssl: OpaquePointer
    private let ciphertext: CiphertextBuffers
    /// Kept for as long as the connection: OpenSSL's SSL holds its SSL_CTX, but the context's callbacks reach the
    /// Swift object through an unretained pointer (a client's session cache), so it must not go first. A test
    /// that dropped its context before the connection crashed in the new-session callback.
    private let context: TLSContext
    private let isServer: Bool
    private(set) var state: State = .handshaking
    private var pending: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var closePromise: EventLoopPromise<Void>?
    /// Whether the peer's close_notify arrived.
    private(set) var receivedCloseNotify = false
    private var handshakePromise: EventLoopPromise<Bool>?
    /// Completes with whether the session was resumed once the handshake is done, or fails with its error.
    private(set) var handshakeDone: EventLoopFuture<Bool>?

    private let pin: String?

    /// - Parameter dataConnection: an FTPS data connection, on either side. Its records are sealed by
    ///   ``RecordSealer`` when the configuration allows (``TLSConfiguration/sealsDataRecords``). A server's sends
    ///   no session tickets: clients resume the control connection's session, and lftp (GnuTLS) resets an upload's
    ///   data connection when a TLS 1.3 ticket arrives on it while it is sending (the bug that made libunftp turn
    ///   TLS 1.3 off).
    init(
        context: TLSContext, serverHostname: String? = nil, resuming session: TLSSession? = nil,
        dataConnection: Bool = false
    ) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw TLSError("SSL_new failed: \(TLSContext.lastError())") }
        let seals = dataConnection && context.configuration.sealsDataRecords && seed_record_sealing_available() == 1
        self.ciphertext = CiphertextBuffers(sealingFor: seals ? context : nil)
        if seals { _ = SSL_set_options(ssl, seed_SSL_OP_ENABLE_KTLS()) }
        let bio: OpaquePointer
        do {
            bio = try CiphertextBIO.make(over: self.ciphertext, method: context.bioMethod)
        } catch {
            SSL_free(ssl)
            throw error
        }
        // One BIO both ways; SSL_set_bio takes its one reference.
        SSL_set_bio(ssl, bio, bio)
        self.ssl = ssl
        self.context = context
        self.isServer = context.isServer
        self.pin = context.isServer ? nil : context.configuration.normalizedPin
        if let session, !context.isServer { _ = SSL_set_session(ssl, session.pointer) }
        if context.isServer {
            SSL_set_accept_state(ssl)
            if dataConnection { _ = SSL_set_num_tickets(ssl, 0) }
        } else {
            SSL_set_connect_state(ssl)
            if let host = serverHostname {
                _ = seed_SSL_set_tlsext_host_name(ssl, host)
                if context.configuration.verification == .full, context.configuration.pinnedCertificateSHA256 == nil,
                    SSL_set1_host(ssl, host) != 1
                {
                    SSL_free(ssl)
                    throw TLSError("cannot set the host name to verify: \(TLSContext.lastError())")
                }
            }
        }
    }

    deinit { SSL_free(self.ssl) }

    var resumedSession: Bool { SSL_session_reused(self.ssl) == 1 }

    /// Records sealed by ``RecordSealer`` on this connection (0 while OpenSSL seals them).
    var recordsSealed: Int { self.ciphertext.sealer?.recordsSealed ?? 0 }

    /// Key updates ``RecordSealer`` followed on this connection.
    var keyUpdatesSealed: Int { self.ciphertext.sealer?.keyUpdates ?? 0 }

    /// TLS 1.3: updates this side's sending keys, and by default asks the peer to update its own (RFC 8446
    /// §4.6.3), with the next write. For tests of key updates on sealing connections.
    func requestKeyUpdate(askingPeer: Bool = true) {
        _ = SSL_key_update(self.ssl, askingPeer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED)
    }

    /// Servers on TLS 1.3: sends one more session ticket with the next write. Tickets are good for one
    /// resumption, so a control connection hands one out before every data connection it sets up.
    func requestTicket() {
        guard self.isServer, self.state == .active, SSL_version(self.ssl) == TLS1_3_VERSION else { return }
        _ = SSL_new_session_ticket(self.ssl)
    }

    /// The newest session of this connection (with TLS 1.3, the last ticket the server sent), to resume on
    /// another connection.
    var currentSession: TLSSession? { SSL_get1_session(self.ssl).map { TLSSession(taking: $0) } }

    /// The SHA-256 of the peer's certificate (DER), lower-case hex.
    var peerCertificateSHA256: String? {
        guard let cert = SSL_get1_peer_certificate(self.ssl) else { return nil }
        defer { X509_free(cert) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(cert, EVP_sha256(), &digest, &length) == 1 else { return nil }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// The application protocol agreed by ALPN, if any.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    // MARK: - Lifecycle

    private var ticketPromise: EventLoopPromise<Void>?
    /// Clients: completes when the server sent a session ticket on this connection (or the connection ended).
    private(set) var ticketReceived: EventLoopFuture<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Bool.self)
        self.handshakePromise = promise
        self.handshakeDone = promise.futureResult
        let ticket = context.eventLoop.makePromise(of: Void.self)
        self.ticketPromise = ticket
        self.ticketReceived = ticket.futureResult
        if context.channel.isActive { self.startHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.handshakePromise?.fail(ChannelError.ioOnClosedChannel)
        self.handshakePromise = nil
        self.ticketPromise?.succeed()
        self.ticketPromise = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startHandshake(context: context)
        context.fireChannelActive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard !self.isServer, self.state == .handshaking else { return }
        self.doHandshake(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.state == .active && !self.receivedCloseNotify {
            context.fireErrorCaught(TLSError.uncleanShutdown)
        }
        self.state = .closed
        self.ticketPromise?.succeed()
        self.ticketPromise = nil
        self.handshakePromise?.fail(TLSError("the connection closed during the TLS handshake"))
        self.handshakePromise = nil
        self.failPending(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.ciphertext.receive(Self.unwrapInboundIn(data))
        if self.state == .handshaking { self.doHandshake(context: context) }
        if self.state == .active || self.state == .closing { self.readPlaintext(context: context) }
    }

    private func doHandshake(context: ChannelHandlerContext) {
        ERR_clear_error()
        let rc = SSL_do_handshake(self.ssl)
        self.flushCiphertext(context: context, promise: nil)
        if rc == 1, let pin = self.pin, self.peerCertificateSHA256 != pin {
            let seen = self.peerCertificateSHA256 ?? "none"
            let error = TLSError("the server certificate (SHA-256 \(seen)) does not match the pinned certificate")
            self.state = .closed
            self.handshakePromise?.fail(error)
            self.handshakePromise = nil
            self.failPending(error)
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        if rc == 1 {
            self.state = .active
            let version = String(cString: SSL_get_version(self.ssl))
            context.fireUserInboundEventTriggered(TLSEvent.handshakeCompleted(protocolVersion: version, resumedSession: self.resumedSession))
            self.handshakePromise?.succeed(self.resumedSession)
            self.handshakePromise = nil
            let queued = self.pending
            self.pending = []
            for (buffer, promise) in queued { self.writePlaintext(buffer, promise: promise, context: context) }
            if !queued.isEmpty { self.flushCiphertext(context: context, promise: nil) }
            return
        }
        let error = SSL_get_error(self.ssl, rc)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        let message = TLSContext.lastError()
        self.state = .closed
        self.handshakePromise?.fail(TLSError("TLS handshake failed: \(message)"))
        self.handshakePromise = nil
        self.failPending(TLSError("TLS handshake failed: \(message)"))
        context.fireErrorCaught(TLSError("TLS handshake failed: \(message)"))
        context.close(promise: nil)
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        let sessionBefore = SSL_get_session(self.ssl)
        defer {
            // A client's session object changes when a NewSessionTicket was processed.
            if !self.isServer, SSL_get_session(self.ssl) != sessionBefore {
                self.ticketPromise?.succeed()
                self.ticketPromise = nil
            }
        }
        var delivered = false
        // Records hold at most 16 KiB; decrypting everything already received into one larger buffer means a
        // fast upload reaches storage in a few big writes instead of one per record (measured: 16 KiB buffers
        // held FTPS STOR to a quarter of the speed, each one a hop to the file thread pool).
        let available = self.ciphertext.inboundBytes
        var buffer = context.channel.allocator.buffer(capacity: min(max(available, 16 * 1024), 512 * 1024))
        while true {
            if buffer.writableBytes < 16 * 1024 {
                if buffer.readableBytes > 0 {
                    delivered = true
                    context.fireChannelRead(Self.wrapInboundOut(buffer))
                }
                buffer = context.channel.allocator.buffer(capacity: 256 * 1024)
            }
            ERR_clear_error()
            let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { raw in
                Int(max(0, SSL_read(self.ssl, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))))
            }
            if n > 0 { continue }
            if buffer.readableBytes > 0 {
                delivered = true
                context.fireChannelRead(Self.wrapInboundOut(buffer))
                buffer = context.channel.allocator.buffer(capacity: 0)
            }
            let error = SSL_get_error(self.ssl, 0)
            if error == SSL_ERROR_ZERO_RETURN {
                self.receivedCloseNotify = true
                context.fireUserInboundEventTriggered(TLSEvent.closeNotifyReceived)
                if self.state == .active {
                    // Answer the peer's close_notify, then close.
                    self.state = .closing
                    _ = SSL_shutdown(self.ssl)
                    self.flushCiphertext(context: context, promise: nil)
                }
                context.close(promise: nil)
            }
            break
        }
        // Renegotiation or session tickets may have produced output.
        self.flushCiphertext(context: context, promise: nil)
        if delivered { context.fireChannelReadComplete() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Plaintext reads complete in readPlaintext; ciphertext-only reads have nothing to announce.
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = Self.unwrapOutboundIn(data)
        switch self.state {
        case .handshaking: self.pending.append((buffer, promise))
        case .active: self.writePlaintext(buffer, promise: promise, context: context)
        case .closing, .closed: promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        self.flushCiphertext(context: context, promise: nil)
    }

    private func writePlaintext(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        // The records go into one buffer sized for the whole write: each 16 KiB record adds at most 22 bytes of
        // header and tag (TLS 1.3 adds one more for the content type). Encrypted 64 KiB at a time: as fast as one
        // call per write or slightly faster in this machine's measurements, and OpenSSL's own buffers stay small.
        self.ciphertext.reserveOutbound(TLSRecords.bound(buffer.readableBytes), allocator: context.channel.allocator)
        var failed: TLSError?
        buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                ERR_clear_error()
                if let sealer = self.ciphertext.sealer,
                    sealer.recordsUnderKey >= self.context.configuration.sealedRecordsPerKey
                {
                    // Fresh keys before the limit of this key; the KeyUpdate goes out with this write.
                    _ = SSL_key_update(self.ssl, SSL_KEY_UPDATE_NOT_REQUESTED)
                }
                let n = SSL_write(self.ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 64 * 1024)))
                if n <= 0 {
                    failed = TLSError("TLS write failed: \(TLSContext.lastError())")
                    return
                }
                offset += Int(n)
            }
        }
        if let failed {
            promise?.fail(failed)
            return
        }
        // The caller's promise completes once this ciphertext left.
        self.flushCiphertext(context: context, promise: promise, flush: false)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard self.state == .active, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Send close_notify before the TCP close, so the peer knows the data is complete.
        self.state = .closing
        ERR_clear_error()
        _ = SSL_shutdown(self.ssl)
        self.flushCiphertext(context: context, promise: nil)
        context.close(mode: .all, promise: promise)
    }

    private func flushCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?, flush: Bool = true) {
        if let out = self.ciphertext.takeOutbound() {
            context.write(Self.wrapOutboundOut(out), promise: promise)
        } else if let promise {
            // Nothing new to send, but the promise must complete only after what was written before it (an empty
            // write is how callers wait for everything to leave before closing).
            context.write(Self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        }
        if flush { context.flush() }
    }

    private func failPending(_ error: any Error) {
        let queued = self.pending
        self.pending = []
        for (_, p) in queued { p?.fail(error) }
    }
}
#endif
