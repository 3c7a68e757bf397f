public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// An FTP server: listens, enforces session limits and runs an ``FTPSessionStateMachine`` per connection.
///
/// ```swift
/// let server = try await FTPServer.bind(configuration: config, logger: logger)
/// print("listening on", server.localPort)
/// try await server.run()          // until shutdown() or cancellation
/// ```
///
/// It is a swift-service-lifecycle `Service`: in a `ServiceGroup`, a graceful shutdown (SIGTERM, say) stops it as
/// ``beginShutdown(gracePeriod:)`` does, with ``FTPServerConfiguration/shutdownGracePeriod``.
public final class FTPServer: Service, Sendable {
    /// The configuration the server was started with (the advertised addresses can change later, see
    /// ``updateAdvertisedAddresses(_:)``).
    public let configuration: FTPServerConfiguration
    /// The port actually bound (useful with port 0).
    public let localPort: Int
    /// What happens on the server. Buffers the newest 4096 events if nobody reads them.
    public let events: AsyncStream<FTPServerEvent>

    private let context: FTPServerContext
    private let registry: FTPSessionRegistry
    private let listeners: ControlListeners
    private let implicitListeners: ControlListeners?
    /// The implicit FTPS port actually bound, when one was configured.
    public let implicitTLSPort: Int?
    private let logger: Logger

    private init(
        configuration: FTPServerConfiguration, context: FTPServerContext, registry: FTPSessionRegistry,
        listeners: ControlListeners, implicitListeners: ControlListeners?, events: AsyncStream<FTPServerEvent>, logger: Logger
    ) {
        self.configuration = configuration
        self.context = context
        self.registry = registry
        self.listeners = listeners
        self.implicitListeners = implicitListeners
        self.implicitTLSPort = implicitListeners?.port
        self.localPort = listeners.port ?? configuration.port
        self.events = events
        self.logger = logger
    }

    /// Validates the configuration and binds the control port.
    public static func bind(
        configuration: FTPServerConfiguration, logger: Logger = Logger(label: "ftpd"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> FTPServer {
        try configuration.validate()
        let (events, sink) = AsyncStream<FTPServerEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let context = try FTPServerContext(configuration: configuration, group: group, eventSink: sink)
        let maxLine = configuration.maxCommandLength
        let proxyHeaders = ProxyHeaders(trusted: Set(configuration.trustedProxies.map(IPAddressText.canonical)))
        let registry = FTPSessionRegistry(
            context: context, configuration: configuration, proxyHeaders: proxyHeaders, logger: logger)
        // Each connection is admitted on its event loop when it becomes active (``FTPSessionRegistry``).
        func listen(port: Int, implicitTLS: Bool) async throws -> ControlListeners {
            try await ControlListeners.bind(group: group, host: configuration.host, port: port, backlog: 1024, logger: logger) {
                $0.childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    // Urgent data stays in the stream, as vsftpd and pyftpdlib have it. RFC 959 clients send ABOR's
                    // Telnet "Synch" urgently (ftplib the whole `ABOR\r\n`, BSD ftp `IAC IP IAC` and then `DM ABOR`,
                    // lftp `IAC IP IAC DM` with its first byte urgent); the kernel otherwise takes the urgent byte out
                    // of the stream, which left `ABOR\r` waiting for its line feed (the next command then read as
                    // `ABOR\rNOOP`, a 500) and the Telnet sequences without an `IAC` (a 501), and the transfer ran
                    // on. Over TLS a removed byte would break the record.
                    .childChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_OOBINLINE)), value: 1)
                    .childChannelInitializer { child in
                        child.eventLoop.makeCompletedFuture {
                            try proxyHeaders.install(on: child)
                            if implicitTLS {
                                guard let tls = context.tls else { throw TLSError("TLS is not configured") }
                                try child.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls))
                            }
                            try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FTPLineDecoder(maxLength: maxLine)))
                            try child.pipeline.syncOperations.addHandler(FTPSession(server: context, implicitTLS: implicitTLS))
                            try child.pipeline.syncOperations.addHandler(SessionAdmissionHandler(registry: registry))
                        }
                    }
            }
        }
        let listeners = try await listen(port: configuration.port, implicitTLS: false)
        var implicitListeners: ControlListeners?
        if let implicitPort = configuration.implicitTLSPort, context.tls != nil {
            do {
                implicitListeners = try await listen(port: implicitPort, implicitTLS: true)
            } catch {
                listeners.close()
                await listeners.closed()
                throw error
            }
        }
        let server = FTPServer(
            configuration: configuration, context: context, registry: registry, listeners: listeners,
            implicitListeners: implicitListeners, events: events, logger: logger)
        logger.info("listening", metadata: [
            "host": "\(configuration.host)", "port": "\(server.localPort)",
            "implicit_tls_port": "\(server.implicitTLSPort.map(String.init) ?? "-")",
        ])
        return server
    }

    /// Serves sessions until ``shutdown(gracePeriod:)`` is called, a service group shuts down gracefully, a
    /// listening socket fails, or the task is cancelled (which closes every session at once); returns once the
    /// last session has ended.
    public func run() async throws {
        defer { self.context.finishEvents() }
        let grace = self.configuration.shutdownGracePeriod
        for listeners in self.allListeners {
            listeners.whenAnyCloses { self.beginShutdown(gracePeriod: grace) }
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.registry.waitUntilDrained()
            } onCancel: {
                // Sessions run on their event loops, not in this task: cancelling does not reach them, so they are
                // closed here (at once, transfers included).
                self.beginShutdown(gracePeriod: .zero)
            }
        } onGracefulShutdown: {
            self.beginShutdown(gracePeriod: grace)
        }
        await self.listenersClosed()
        self.logger.info("server stopped")
    }

    /// Stops accepting connections, asks every session to end (sessions in a transfer finish it first), and after
    /// `gracePeriod` closes whatever is left; returns when the last session has ended and the listening ports are
    /// closed.
    public func shutdown(gracePeriod: Duration = .seconds(30)) async {
        self.beginShutdown(gracePeriod: gracePeriod)
        await self.registry.waitUntilDrained()
        await self.listenersClosed()
    }

    /// Waits until the listening sockets are closed. Closing one is a request to its event loop: until it has run,
    /// the kernel still completes handshakes into the backlog, and a client connecting in that instant is reset
    /// ("connection lost") instead of refused, which callers that just stopped the server do not expect.
    private func listenersClosed() async {
        for listeners in self.allListeners { await listeners.closed() }
    }

    /// The control port's listeners, and the implicit FTPS port's when there is one.
    private var allListeners: [ControlListeners] { [self.listeners] + (self.implicitListeners.map { [$0] } ?? []) }

    /// Starts what ``shutdown(gracePeriod:)`` does and returns at once: ``run()`` returns when the last session has
    /// ended. Calls after the first change nothing.
    public func beginShutdown(gracePeriod: Duration = .seconds(30)) {
        guard let sessions = self.registry.beginShutdown(gracePeriod: gracePeriod, timerLoop: self.listeners.eventLoop)
        else { return }
        self.logger.info("shutting down", metadata: ["sessions": "\(sessions)"])
        for listeners in self.allListeners { listeners.close() }
    }

    /// Closes every open session's connection at once, transfers included (tests of clients whose server drops
    /// them).
    package func closeSessions(reason: String) {
        self.registry.closeSessions(reason: reason)
    }

    /// Session objects in memory, open or not yet freed: once every connection has closed, zero (tests of
    /// sessions' lifetimes).
    package var sessionsInMemory: Int { self.context.sessionObjects.load(ordering: .relaxed) }
    /// Uploads receiving data now (each sizes its reads by this count, ``TransferBufferBudget``).
    package var uploadsRunning: Int { self.context.uploadBuffers.running }
    /// Downloads passing through memory now (TLS, ASCII, digests; each sizes its file reads by this count).
    package var downloadsThroughMemoryRunning: Int { self.context.downloadBuffers.running }
    /// TLS data connections whose records FTPKit sealed itself (``RecordSealer``), under the current certificate.
    package var tlsConnectionsSealed: Int {
        #if OpenSSL
        self.context.tls?.sealedConnections.load(ordering: .relaxed) ?? 0
        #else
        0
        #endif
    }

    /// Reads the TLS certificate and key files again (after a renewal) for new connections; sessions already
    /// open keep theirs. Throws, keeping the current certificate, if the new files are unusable.
    public func reloadTLSCertificate() throws(TLSError) {
        try self.context.reloadTLS()
    }

    /// Replaces the passive addresses by client network (after their DNS names changed, say); sessions started
    /// from now on announce the new ones.
    public func updateAdvertisedAddresses(_ addresses: FTPAdvertisedAddresses) throws(FTPConfigurationError) {
        guard addresses.isResolved else {
            throw FTPConfigurationError("advertised addresses must be resolved to IPv4 addresses first: \(addresses)")
        }
        self.context.setAdvertisedAddresses(addresses)
    }

    /// The number of open sessions.
    public var sessionCount: Int { self.context.limiter.total }
}

/// The PROXY protocol handlers' results, by connection, from the channel initializer to the session.
final class ProxyHeaders: Sendable {
    private let trusted: Set<String>
    private let pending = Mutex<[ObjectIdentifier: EventLoopFuture<ProxyProtocolHeader?>]>([:])

    init(trusted: Set<String>) { self.trusted = trusted }

    func trusts(_ address: String) -> Bool { self.trusted.contains(address) }

    /// Adds the PROXY handler when proxies are configured (every connection gets one, so an untrusted peer that
    /// sends a header is refused).
    func install(on channel: any Channel) throws {
        guard !self.trusted.isEmpty else { return }
        let peer = channel.remoteAddress?.ipAddress.map(IPAddressText.canonical) ?? ""
        let handler = ProxyProtocolHandler(trusted: self.trusts(peer), eventLoop: channel.eventLoop)
        try channel.pipeline.syncOperations.addHandler(handler)
        let header = handler.header
        self.pending.withLock { $0[ObjectIdentifier(channel)] = header }
        channel.closeFuture.whenComplete { _ in _ = self.pending.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
    }

    func take(for channel: any Channel) -> EventLoopFuture<ProxyProtocolHeader?>? {
        self.pending.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
