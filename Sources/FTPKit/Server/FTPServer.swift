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
    /// An accepted control connection, its ``FTPSession`` installed but not started.
    typealias ControlChannel = any Channel

    public let configuration: FTPServerConfiguration
    /// The port actually bound (useful with port 0).
    public let localPort: Int
    /// What happens on the server. Buffers the newest 4096 events if nobody reads them.
    public let events: AsyncStream<FTPServerEvent>

    private let context: FTPServerContext
    private let serverChannel: NIOAsyncChannel<ControlChannel, Never>
    private let implicitChannel: NIOAsyncChannel<ControlChannel, Never>?
    /// The implicit FTPS port actually bound, when one was configured.
    public let implicitTLSPort: Int?
    private let logger: Logger
    private let state = Mutex<State>(State())
    private let proxyHeaders: ProxyHeaders

    private struct State {
        var nextSession = 0
        var sessions: [Int: (shutDown: @Sendable () -> Void, channel: any Channel)] = [:]
        var shuttingDown = false
        /// Closes the sessions left when the grace period ends.
        var graceTimer: Scheduled<Void>?
        /// ``shutdown(gracePeriod:)`` calls waiting for the last session to end.
        var drainWaiters: [AsyncStream<Void>.Continuation] = []

        /// Once shutting down with no session left: the waiters to wake (the timer is cancelled).
        mutating func drainedIfDone() -> [AsyncStream<Void>.Continuation] {
            guard self.shuttingDown, self.sessions.isEmpty else { return [] }
            self.graceTimer?.cancel()
            self.graceTimer = nil
            defer { self.drainWaiters = [] }
            return self.drainWaiters
        }
    }

    private init(
        configuration: FTPServerConfiguration, context: FTPServerContext, serverChannel: NIOAsyncChannel<ControlChannel, Never>,
        implicitChannel: NIOAsyncChannel<ControlChannel, Never>?, events: AsyncStream<FTPServerEvent>, logger: Logger,
        proxyHeaders: ProxyHeaders
    ) {
        self.proxyHeaders = proxyHeaders
        self.configuration = configuration
        self.context = context
        self.serverChannel = serverChannel
        self.implicitChannel = implicitChannel
        self.implicitTLSPort = implicitChannel?.channel.localAddress?.port
        self.localPort = serverChannel.channel.localAddress?.port ?? configuration.port
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
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try proxyHeaders.install(on: child)
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FTPLineDecoder(maxLength: maxLine)))
                    try child.pipeline.syncOperations.addHandler(FTPSession(server: context, implicitTLS: false))
                    return child
                }
            }
        var implicitChannel: NIOAsyncChannel<ControlChannel, Never>?
        if let implicitPort = configuration.implicitTLSPort, context.tls != nil {
            do {
                implicitChannel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .bind(host: configuration.host, port: implicitPort) { child in
                        child.eventLoop.makeCompletedFuture {
                            try proxyHeaders.install(on: child)
                            guard let tls = context.tls else { throw TLSError("TLS is not configured") }
                            try child.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls))
                            try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FTPLineDecoder(maxLength: maxLine)))
                            try child.pipeline.syncOperations.addHandler(FTPSession(server: context, implicitTLS: true))
                            return child
                        }
                    }
            } catch {
                try? await channel.channel.close()
                throw error
            }
        }
        let server = FTPServer(
            configuration: configuration, context: context, serverChannel: channel, implicitChannel: implicitChannel,
            events: events, logger: logger, proxyHeaders: proxyHeaders)
        logger.info("listening", metadata: [
            "host": "\(configuration.host)", "port": "\(server.localPort)",
            "implicit_tls_port": "\(server.implicitTLSPort.map(String.init) ?? "-")",
        ])
        return server
    }

    /// Accepts and serves sessions until ``shutdown(gracePeriod:)`` is called, a service group shuts down
    /// gracefully, or the task is cancelled (which closes every session at once).
    public func run() async throws {
        defer { self.context.finishEvents() }
        let grace = self.configuration.shutdownGracePeriod
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { listeners in
                    if let implicit = self.implicitChannel {
                        listeners.addTask { try await self.accept(on: implicit) }
                    }
                    listeners.addTask { try await self.accept(on: self.serverChannel) }
                    try await listeners.waitForAll()
                }
            } onCancel: {
                // Sessions run on their event loops, not in these tasks: cancelling does not reach them, so they
                // are closed here (at once, transfers included).
                self.beginShutdown(gracePeriod: .zero)
            }
        } onGracefulShutdown: {
            self.beginShutdown(gracePeriod: grace)
        }
        self.logger.info("server stopped")
    }

    /// Serves one listener's connections; returns when it is closed and its sessions have ended.
    private func accept(on listener: NIOAsyncChannel<ControlChannel, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
            // The listener is closed: wait for the sessions, which were told to finish.
        }
    }

    /// Stops accepting connections, asks every session to end (sessions in a transfer finish it first), and after
    /// `gracePeriod` closes whatever is left; returns when the last session has ended.
    public func shutdown(gracePeriod: Duration = .seconds(30)) async {
        let (drained, waiter) = AsyncStream.makeStream(of: Void.self)
        self.state.withLock { $0.drainWaiters.append(waiter) }
        self.beginShutdown(gracePeriod: gracePeriod)
        self.state.withLock { $0.drainedIfDone() }.forEach { $0.finish() }
        for await _ in drained {}
    }

    /// Starts what ``shutdown(gracePeriod:)`` does and returns at once: ``run()`` returns when the last session has
    /// ended. Calls after the first change nothing.
    public func beginShutdown(gracePeriod: Duration = .seconds(30)) {
        let sessions: [@Sendable () -> Void]? = self.state.withLock { s in
            guard !s.shuttingDown else { return nil }
            s.shuttingDown = true
            return s.sessions.values.map(\.shutDown)
        }
        guard let sessions else { return }
        self.logger.info("shutting down", metadata: ["sessions": "\(sessions.count)"])
        self.serverChannel.channel.close(promise: nil)
        self.implicitChannel?.channel.close(promise: nil)
        for shutDown in sessions { shutDown() }
        let timer = self.serverChannel.channel.eventLoop.scheduleTask(in: TimeAmount(gracePeriod)) {
            self.closeSessions(reason: "closing sessions still open after the grace period")
        }
        let woken = self.state.withLock { s in
            s.graceTimer = timer
            return s.drainedIfDone()
        }
        woken.forEach { $0.finish() }
    }

    /// Closes every open session's connection at once, transfers included (the end of a grace period; tests of
    /// clients whose server drops them).
    package func closeSessions(reason: String) {
        let left = self.state.withLock { $0.sessions.values.map(\.channel) }
        guard !left.isEmpty else { return }
        self.logger.warning("\(reason)", metadata: ["sessions": "\(left.count)"])
        for channel in left { channel.close(promise: nil) }
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

    /// Answers a connection that will not get a session, and closes it once the answer has gone out.
    private static func refuse(_ connection: ControlChannel, _ reply: FTPReply) async {
        try? await connection.writeAndFlush(ByteBuffer(string: reply.encoded))
        try? await connection.close()
    }

    private func serve(_ connection: ControlChannel) async {
        let tcpPeer = connection.remoteAddress?.ipAddress.map(IPAddressText.canonical) ?? "unknown"
        var peer = tcpPeer
        var viaProxy: String?
        if let pending = self.proxyHeaders.take(for: connection), self.proxyHeaders.trusts(tcpPeer) {
            // The proxy sends its header at once; a proxy that does not within 5 s is cut off.
            let timer = connection.eventLoop.scheduleTask(in: .seconds(5)) { connection.close(promise: nil) }
            defer { timer.cancel() }
            do {
                if let header = try await pending.get(), header.command == .proxy, let source = header.source {
                    peer = IPAddressText.canonical(source.host)
                    viaProxy = tcpPeer
                }
            } catch {
                self.logger.notice("connection from the proxy refused", metadata: ["proxy": "\(tcpPeer)", "reason": "\(error)"])
                try? await connection.close()
                return
            }
        }
        let local = connection.localAddress?.ipAddress.map(IPAddressText.canonical) ?? self.configuration.host
        var logger = self.logger
        guard self.configuration.addressPolicy.permits(peer) else {
            logger.notice("connection refused", metadata: ["client": "\(peer)", "reason": "address not allowed"])
            await Self.refuse(connection, FTPReply(421, "Connections from your address are not allowed."))
            return
        }
        if let refusal = self.context.limiter.acquire(peer) {
            let text = refusal == .serverFull ? "Too many users, try again later." : "Too many connections from your address."
            logger.notice("connection refused", metadata: ["client": "\(peer)", "reason": "\(refusal)"])
            await Self.refuse(connection, FTPReply(421, text))
            return
        }
        defer { self.context.limiter.release(peer) }
        if self.context.isBanned(peer) {
            await Self.refuse(connection, FTPReply(421, "Too many failed logins from your address; try later."))
            return
        }
        let shutDown: @Sendable () -> Void = {
            connection.eventLoop.execute {
                try? connection.pipeline.syncOperations.handler(type: FTPSession.self).shutDown()
            }
        }
        let id: Int? = self.state.withLock { s in
            if s.shuttingDown { return nil }
            s.nextSession += 1
            s.sessions[s.nextSession] = (shutDown, connection)
            return s.nextSession
        }
        guard let id else {
            await Self.refuse(connection, FTPReply(421, "Server shutting down."))
            return
        }
        defer {
            let woken = self.state.withLock { s in
                s.sessions.removeValue(forKey: id)
                return s.drainedIfDone()
            }
            woken.forEach { $0.finish() }
        }
        logger[metadataKey: "session"] = "\(id)"
        logger[metadataKey: "client"] = "\(peer)"
        logger.info("session opened")
        self.context.metrics.sessions.increment()
        defer { self.context.metrics.sessions.decrement() }
        if let viaProxy { logger[metadataKey: "proxy"] = "\(viaProxy)" }
        let sessionPeer = FTPSession.Peer(clientAddress: peer, localAddress: local, proxyAddress: viaProxy, logger: logger)
        let ended = connection.eventLoop.flatSubmit {
            do {
                return try connection.pipeline.syncOperations.handler(type: FTPSession.self).start(sessionPeer)
            } catch {
                return connection.eventLoop.makeFailedFuture(error)
            }
        }
        do {
            try await ended.get()
        } catch {
            logger.error("session could not start", metadata: ["error": "\(error)"])
            try? await connection.close()
        }
        logger.info("session closed")
    }
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
