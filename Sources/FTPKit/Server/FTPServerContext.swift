import Logging
import NIOCore
import Synchronization

/// What all sessions of one server share: configuration, limits, the login throttle and the event stream.
final class FTPServerContext: Sendable {
    let configuration: FTPServerConfiguration
    let group: any EventLoopGroup
    let limiter: ConnectionLimiter
    /// The OpenSSL context for new connections; a session keeps the one it started with for all its data
    /// connections (they resume its TLS session), so a reload never breaks a running session.
    var tls: TLSContext? { self.currentTLS.withLock { $0 } }
    private let currentTLS: Mutex<TLSContext?>
    private let throttle: Mutex<LoginThrottle>
    private let eventSink: AsyncStream<FTPServerEvent>.Continuation
    private let advertised: Mutex<FTPAdvertisedAddresses?>
    let metrics = FTPServerMetrics()
    /// Quota-limited users' accounts, shared by their sessions.
    let quotas = QuotaBook()
    /// The server's and each user's transfer rates.
    let bandwidth: BandwidthBook
    /// What running uploads may hold in receive buffers together.
    let uploadBuffers = TransferBufferBudget.uploads()
    /// What running downloads through memory (TLS, ASCII, digests) may hold in file reads and writes together.
    let downloadBuffers = TransferBufferBudget.downloads()
    /// Accept failures of every passive listener, so a descriptor shortage is logged once for all, not per PASV.
    let passiveAcceptFailures = AcceptFailureHandler.SharedLog()
    /// Session objects alive: counted at creation and at deinit, so a session kept past its connection (a
    /// reference cycle, which once kept every session ever connected) shows as a count that never falls.
    let sessionObjects = Atomic<Int>(0)

    init(
        configuration: FTPServerConfiguration, group: any EventLoopGroup,
        eventSink: AsyncStream<FTPServerEvent>.Continuation
    ) throws(TLSError) {
        self.configuration = configuration
        self.currentTLS = Mutex(try configuration.tls.map { (c: TLSConfiguration) throws(TLSError) in
            try TLSContext(configuration: c, server: true)
        })
        self.group = group
        self.limiter = ConnectionLimiter(
            maxTotal: configuration.maxSessions, maxPerAddress: configuration.maxSessionsPerAddress)
        self.throttle = Mutex(LoginThrottle(
            threshold: configuration.banThreshold, window: configuration.loginFailureWindow,
            banDuration: configuration.banDuration))
        self.eventSink = eventSink
        self.advertised = Mutex(configuration.advertisedAddresses)
        self.bandwidth = BandwidthBook(global: configuration.bandwidth)
    }

    /// The address a new session announces in `227` replies to `client`, or `nil` for the local address.
    func passiveAddress(for client: String) -> String? {
        self.advertised.withLock { $0?.address(for: client) } ?? self.configuration.advertisedAddress
    }

    func setAdvertisedAddresses(_ addresses: FTPAdvertisedAddresses?) {
        self.advertised.withLock { $0 = addresses }
    }

    /// Reads the certificate and key again (after a renewal). On error the current context stays.
    func reloadTLS() throws(TLSError) {
        guard let configuration = self.configuration.tls else { return }
        let fresh = try TLSContext(configuration: configuration, server: true)
        self.currentTLS.withLock { $0 = fresh }
    }

    func emit(_ event: FTPServerEvent) {
        self.metrics.record(event)
        self.eventSink.yield(event)
    }

    func audit(_ record: FTPAuditRecord) {
        self.configuration.auditSink?.record(record)
    }

    func isBanned(_ address: String) -> Bool {
        self.throttle.withLock { $0.isBanned(address, now: .now) }
    }

    /// Returns true when this failure got the address banned.
    func recordLoginFailure(_ address: String) -> Bool {
        self.throttle.withLock { $0.recordFailure(address, now: .now) }
    }

    func recordLoginSuccess(_ address: String) {
        self.throttle.withLock { $0.recordSuccess(address) }
    }

    func finishEvents() { self.eventSink.finish() }
}
