import Logging
import NIOCore
import Synchronization

/// The server's sessions, from admission to the end of a shutdown.
///
/// A connection becomes a session on its own event loop as soon as it is active (after a trusted proxy's PROXY
/// header), with no task of its own: the address policy, the connection limits and the ban list decide, the session
/// is registered unless the server is shutting down, and it starts; when it ends, its slot goes back. A task and an
/// async accept loop per connection cost a third of the login rate and 6 KiB per idle session (measured in
/// Docs/benchmarks.md, "ftpd under load").
final class FTPSessionRegistry: Sendable {
    private struct State {
        var nextSession = 0
        var sessions: [Int: any Channel] = [:]
        var shuttingDown = false
        /// Closes the sessions left when the grace period ends.
        var graceTimer: Scheduled<Void>?
        /// ``waitUntilDrained()`` calls waiting for the last session to end.
        var drainWaiters: [CheckedContinuation<Void, Never>] = []

        /// Once shutting down with no session left: the waiters to wake (the timer is cancelled).
        mutating func drainedIfDone() -> [CheckedContinuation<Void, Never>] {
            guard self.shuttingDown, self.sessions.isEmpty else { return [] }
            self.graceTimer?.cancel()
            self.graceTimer = nil
            defer { self.drainWaiters = [] }
            return self.drainWaiters
        }
    }

    private let state = Mutex(State())
    private let context: FTPServerContext
    private let configuration: FTPServerConfiguration
    private let proxyHeaders: ProxyHeaders
    private let logger: Logger

    init(context: FTPServerContext, configuration: FTPServerConfiguration, proxyHeaders: ProxyHeaders, logger: Logger) {
        self.context = context
        self.configuration = configuration
        self.proxyHeaders = proxyHeaders
        self.logger = logger
    }

    // MARK: - Admission

    /// Admits a connection that has just become active. On its event loop.
    func admit(_ channel: any Channel) {
        let tcpPeer = channel.remoteAddress?.ipAddress.map(IPAddressText.canonical) ?? "unknown"
        guard let pending = self.proxyHeaders.take(for: channel), self.proxyHeaders.trusts(tcpPeer) else {
            self.admit(channel, peer: tcpPeer, viaProxy: nil)
            return
        }
        // The proxy sends its header at once; a proxy that does not within 5 s is cut off.
        let timer = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        pending.whenComplete { result in
            timer.cancel()
            switch result {
            case .success(let header?) where header.command == .proxy && header.source != nil:
                self.admit(channel, peer: IPAddressText.canonical(header.source!.host), viaProxy: tcpPeer)
            case .success:
                self.admit(channel, peer: tcpPeer, viaProxy: nil)
            case .failure(let error):
                // The PROXY handler answers 421 and closes the connection itself (or it is closing already).
                self.logger.notice("connection from the proxy refused", metadata: ["proxy": "\(tcpPeer)", "reason": "\(error)"])
            }
        }
    }

    private func admit(_ channel: any Channel, peer: String, viaProxy: String?) {
        guard channel.isActive else { return }  // gone while its proxy header was awaited
        guard self.configuration.addressPolicy.permits(peer) else {
            self.logger.notice("connection refused", metadata: ["client": "\(peer)", "reason": "address not allowed"])
            Self.refuse(channel, FTPReply(421, "Connections from your address are not allowed."))
            return
        }
        if let refusal = self.context.limiter.acquire(peer) {
            let text = refusal == .serverFull ? "Too many users, try again later." : "Too many connections from your address."
            self.logger.notice("connection refused", metadata: ["client": "\(peer)", "reason": "\(refusal)"])
            Self.refuse(channel, FTPReply(421, text))
            return
        }
        if self.context.isBanned(peer) {
            self.context.limiter.release(peer)
            Self.refuse(channel, FTPReply(421, "Too many failed logins from your address; try later."))
            return
        }
        let id: Int? = self.state.withLock { s in
            if s.shuttingDown { return nil }
            s.nextSession += 1
            s.sessions[s.nextSession] = channel
            return s.nextSession
        }
        guard let id else {
            self.context.limiter.release(peer)
            Self.refuse(channel, FTPReply(421, "Server shutting down."))
            return
        }
        var logger = self.logger
        logger[metadataKey: "session"] = "\(id)"
        logger[metadataKey: "client"] = "\(peer)"
        if let viaProxy { logger[metadataKey: "proxy"] = "\(viaProxy)" }
        logger.info("session opened")
        self.context.metrics.sessions.increment()
        let local = channel.localAddress?.ipAddress.map(IPAddressText.canonical) ?? self.configuration.host
        let sessionPeer = FTPSession.Peer(clientAddress: peer, localAddress: local, proxyAddress: viaProxy, logger: logger)
        let sessionLogger = logger
        let ended: EventLoopFuture<Void>
        do {
            ended = try channel.pipeline.syncOperations.handler(type: FTPSession.self).start(sessionPeer)
        } catch ChannelError.ioOnClosedChannel {
            ended = channel.eventLoop.makeSucceededVoidFuture()  // the client left before its session began
        } catch {
            ended = channel.eventLoop.makeFailedFuture(error)
        }
        ended.whenComplete { result in
            if case .failure(let error) = result {
                sessionLogger.error("session could not start", metadata: ["error": "\(error)"])
                channel.close(promise: nil)
            }
            self.context.limiter.release(peer)
            self.context.metrics.sessions.decrement()
            sessionLogger.info("session closed")
            let woken = self.state.withLock { s in
                s.sessions.removeValue(forKey: id)
                return s.drainedIfDone()
            }
            for waiter in woken { waiter.resume() }
        }
    }

    /// Answers a connection that will not get a session, and closes it once the answer has gone out.
    private static func refuse(_ channel: any Channel, _ reply: FTPReply) {
        channel.writeAndFlush(ByteBuffer(string: reply.encoded)).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: - Shutdown

    /// Refuses new sessions from now on and asks every open one to end (a session in a transfer finishes it first);
    /// after `gracePeriod`, closes whatever is left. Returns how many sessions were asked, or `nil` when a shutdown
    /// had already begun.
    func beginShutdown(gracePeriod: Duration, timerLoop: any EventLoop) -> Int? {
        let sessions: [any Channel]? = self.state.withLock { s in
            guard !s.shuttingDown else { return nil }
            s.shuttingDown = true
            return Array(s.sessions.values)
        }
        guard let sessions else { return nil }
        for channel in sessions {
            channel.eventLoop.execute {
                try? channel.pipeline.syncOperations.handler(type: FTPSession.self).shutDown()
            }
        }
        let timer = timerLoop.scheduleTask(in: TimeAmount(gracePeriod)) {
            self.closeSessions(reason: "closing sessions still open after the grace period")
        }
        let woken = self.state.withLock { s in
            s.graceTimer = timer
            return s.drainedIfDone()
        }
        for waiter in woken { waiter.resume() }
        return sessions.count
    }

    /// Closes every open session's connection at once, transfers included.
    func closeSessions(reason: String) {
        let left = self.state.withLock { Array($0.sessions.values) }
        guard !left.isEmpty else { return }
        self.logger.warning("\(reason)", metadata: ["sessions": "\(left.count)"])
        for channel in left { channel.close(promise: nil) }
    }

    /// Returns once a shutdown has begun and the last session has ended. Deliberately not ended by cancellation: a
    /// cancelled ``FTPServer/run()`` shuts down with no grace period, and waiting here is what makes it return only
    /// once every session is closed.
    func waitUntilDrained() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let woken = self.state.withLock { s in
                s.drainWaiters.append(waiter)
                return s.drainedIfDone()
            }
            for w in woken { w.resume() }
        }
    }
}
