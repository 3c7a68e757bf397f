import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A listening socket for one passive data connection (PASV/EPSV).
///
/// It accepts exactly one connection, and only from the control connection's address: a connection from any other
/// address is closed at once, so a port scanner cannot steal the transfer (vsftpd's `pasv_promiscuous=NO`).
final class PassiveListener: Sendable {
    typealias DataChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>
    typealias Accepted = FTPDataConnection.Accepted

    let port: Int
    private let serverChannel: any Channel
    /// The loop the listening socket lives on, where the accepted connection is handed over.
    var eventLoop: any EventLoop { self.serverChannel.eventLoop }
    private let state: Mutex<State>

    private struct State {
        var accepted: Accepted?
        var waiter: CheckedContinuation<Accepted, any Error>?
        var closed = false
    }

    deinit {
        // A connection accepted but never taken must still end through its async wrapper: dropping an open one
        // traps (NIOAsyncWriter's "deinited without calling finish()"). Callers close listeners; this is the net.
        if let leftover = self.state.withLock({ $0.accepted }) { Self.discard(leftover) }
        self.serverChannel.close(promise: nil)
    }

    private init(port: Int, serverChannel: any Channel) {
        self.port = port
        self.serverChannel = serverChannel
        self.state = Mutex(State())
    }

    /// Binds on `host` at a random free port of `range` (or any port when `nil`). The listening socket lives on
    /// `loop` when given (the session's: binding it there costs no wake-up of another thread, which a client
    /// waiting for the `227` reply sees as latency), the accepted connection on any loop of `group`.
    static func open(
        group: any EventLoopGroup, loop: (any EventLoop)? = nil, host: String, range: ClosedRange<Int>?,
        expectedPeer: String, logger: Logger, acceptFailures: AcceptFailureHandler.SharedLog = .init(),
        tls: TLSContext? = nil, clientTLS: ClientTLSSetup? = nil, alsoAccept: String? = nil
    ) async throws -> PassiveListener {
        let box = ListenerBox()
        var lastError: (any Error)?
        var ports = PassivePortPicker(range: range)
        while let port = ports.next() {
            do {
                let channel = try await ServerBootstrap(group: loop ?? group.next(), childGroup: group)
                    .serverChannelOption(.backlog, value: 4)
                    .serverChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try AcceptFailureHandler.install(on: channel, logger: logger, log: acceptFailures) }
                    }
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    // Bulk data: Nagle on, and one write per event-loop turn so sendfile's 64 KiB calls
                    // alternate with the reader (see FTPTransferRunner.sendFile).
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 0)
                    .childChannelOption(.writeSpin, value: 1)
                    // Few, small receive buffers per upload, reused rather than allocated (FTPDataConnection).
                    .childChannelOption(.maxMessagesPerRead, value: FTPDataConnection.serverReadsPerWakeUp)
                    .childChannelOption(.recvAllocator, value: FTPDataConnection.serverReceiveAllocator)
                    .childChannelInitializer { child in
                        let peer = child.remoteAddress?.ipAddress.map(IPAddressText.canonical) ?? ""
                        guard peer == expectedPeer || (alsoAccept != nil && peer == alsoAccept), let listener = box.listener
                        else {
                            logger.warning("refused data connection from a foreign address",
                                metadata: ["peer": "\(peer)", "expected": "\(expectedPeer)"])
                            return child.close()
                        }
                        return child.eventLoop.makeCompletedFuture {
                            // Hand the connection over only once it is active: writes issued earlier, from the
                            // transfer waiting on the other side, would fail on a channel not yet registered.
                            var handshake: EventLoopFuture<Bool>?
                            if let tls {
                                let handler = try OpenSSLHandler(context: tls, dataConnection: true)
                                try child.pipeline.syncOperations.addHandler(handler)
                                handshake = handler.handshakeDone
                            } else if let clientTLS {
                                // A client in active mode: the TLS client even though it accepted the TCP connection.
                                try child.pipeline.syncOperations.addHandler(try clientTLS.makeHandler())
                            }
                            let activation = ActivationHandler()
                            try child.pipeline.syncOperations.addHandler(activation)
                            let wrapped = Accepted(
                                channel: try DataChannel(
                                    wrappingChannelSynchronously: child, configuration: FTPDataConnection.serverAsyncConfiguration),
                                tlsHandshake: handshake)
                            activation.onActive = { if !listener.deliver(wrapped) { Self.discard(wrapped) } }
                        }
                    }
                    .bind(host: host, port: port).get()
                let listener = PassiveListener(
                    port: channel.localAddress?.port ?? port, serverChannel: channel)
                box.listener = listener
                return listener
            } catch {
                lastError = error
            }
        }
        throw lastError ?? FTPStorageError(.io, "no passive port available")
    }

    /// Hands an accepted connection to the waiting transfer, or keeps it until the transfer asks. Returns false
    /// when the listener already has its connection or was closed.
    private func deliver(_ channel: Accepted) -> Bool {
        enum Outcome { case rejected, kept, handedOver(CheckedContinuation<Accepted, any Error>) }
        let outcome: Outcome = self.state.withLock { s in
            guard !s.closed, s.accepted == nil else { return .rejected }
            if let w = s.waiter {
                s.waiter = nil
                s.closed = true
                return .handedOver(w)
            }
            s.accepted = channel
            return .kept
        }
        switch outcome {
        case .rejected: return false
        case .kept: return true
        case .handedOver(let waiter):
            waiter.resume(returning: channel)
            self.serverChannel.close(promise: nil)
            return true
        }
    }

    /// A wrapped async channel must be closed through `executeThenClose`, never just dropped.
    static func discard(_ accepted: Accepted) {
        Task { try? await accepted.channel.executeThenClose { _, _ in } }
    }

    /// Waits for the peer's data connection, up to `timeout`.
    func accept(timeout: Duration) async throws -> Accepted {
        let timer = self.serverChannel.eventLoop.scheduleTask(in: .init(timeout)) {
            self.fail(FTPStorageError(.io, "no data connection within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Accepted, any Error>? = self.state.withLock { s in
                    if let a = s.accepted {
                        s.accepted = nil
                        s.closed = true
                        return .success(a)
                    }
                    if s.closed { return .failure(FTPStorageError(.io, "listener closed")) }
                    s.waiter = continuation
                    return nil
                }
                if let ready {
                    self.serverChannel.close(promise: nil)
                    continuation.resume(with: ready)
                }
            }
        } onCancel: {
            self.fail(CancellationError())
        }
    }

    private func fail(_ error: any Error) {
        let waiter = self.state.withLock { s in
            defer { s.waiter = nil; s.closed = true }
            return s.waiter
        }
        waiter?.resume(throwing: error)
        self.serverChannel.close(promise: nil)
    }

    /// Whether a data connection has been accepted and waits for its transfer.
    var holdsConnection: Bool { self.state.withLock { $0.accepted != nil } }

    /// Closes the listener (and a connection that was accepted but never used).
    func close() {
        let leftover = self.state.withLock { s in
            defer { s.accepted = nil }
            return s.accepted
        }
        if let leftover { Self.discard(leftover) }
        self.fail(FTPStorageError(.io, "listener closed"))
    }
}

/// Lets the child initializer reach the listener object created after `bind` returns. Written once, before any
/// connection can be accepted, then only read.
/// The listener, as its channel initializer sees it: weakly, so a listener its owner dropped is deallocated
/// (closing its port and any connection it kept) instead of living on through its own server channel.
private final class ListenerBox: Sendable {
    private struct Weak { weak var listener: PassiveListener? }
    private let value = Mutex(Weak())
    var listener: PassiveListener? {
        get { self.value.withLock { $0.listener } }
        set { self.value.withLock { $0.listener = newValue } }
    }
}

/// Calls `onActive` once the channel is active (or at once if it already is by the time the callback is set).
private final class ActivationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private var context: ChannelHandlerContext?
    private var fired = false

    var onActive: (() -> Void)? {
        didSet { self.fireIfReady() }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        self.fireIfReady()
    }

    private func fireIfReady() {
        guard !self.fired, let context = self.context, context.channel.isActive, let onActive = self.onActive else { return }
        self.fired = true
        onActive()
        _ = context.pipeline.syncOperations.removeHandler(self)
    }
}
