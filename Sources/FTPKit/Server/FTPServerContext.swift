import Logging
import NIOCore
import Synchronization

/// What all sessions of one server share: configuration, limits, the login throttle and the event stream.
final class FTPServerContext: Sendable {
    let configuration: FTPServerConfiguration
    let group: any EventLoopGroup
    let limiter: ConnectionLimiter
    /// The OpenSSL context shared by every control and data connection (so data sessions can resume).
    let tls: TLSContext?
    private let throttle: Mutex<LoginThrottle>
    private let eventSink: AsyncStream<FTPServerEvent>.Continuation
    let metrics = FTPServerMetrics()

    init(
        configuration: FTPServerConfiguration, group: any EventLoopGroup,
        eventSink: AsyncStream<FTPServerEvent>.Continuation
    ) throws(TLSError) {
        self.configuration = configuration
        self.tls = try configuration.tls.map { (c: TLSConfiguration) throws(TLSError) in try TLSContext(configuration: c, server: true) }
        self.group = group
        self.limiter = ConnectionLimiter(
            maxTotal: configuration.maxSessions, maxPerAddress: configuration.maxSessionsPerAddress)
        self.throttle = Mutex(LoginThrottle(
            threshold: configuration.banThreshold, window: configuration.loginFailureWindow,
            banDuration: configuration.banDuration))
        self.eventSink = eventSink
    }

    func emit(_ event: FTPServerEvent) {
        self.metrics.record(event)
        self.eventSink.yield(event)
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
