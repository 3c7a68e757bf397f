import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Drives one control connection on its event loop: each line, timer and task result goes to the
/// ``FTPSessionStateMachine`` as an event and the action it returns is carried out here, in the same event-loop turn —
/// a reply is written with no task hop or await. Every decision (what waits, for how long, when to close) is the
/// machine's; this type only performs: writes, timers, tasks, the server's books and records.
///
/// Slow work (authentication, storage, opening a passive port, transfers) runs in tasks that report back as
/// ``Event``s on the loop, so the session never blocks and ABOR is always heard. Installed when the connection is
/// accepted; lines that arrive before ``start(_:)`` (the PROXY header and the server's admission checks) wait in the
/// machine's queue. Not `Sendable`: everything here runs on the channel's event loop.
final class FTPSession: ChannelDuplexHandler {
    typealias InboundIn = FTPControlLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the tasks the session starts report back.
    enum Event: Sendable {
        /// The login's result and, for a user with a quota, their account (already joined).
        case authenticated(FTPUser?, QuotaAccount?)
        case passiveOpened(PassiveListener)
        case passiveFailed(String)
        case fileOperationDone(FTPFileOperation, FTPFileOperationResult)
        case statusListingSent(FTPStatusListing.Outcome)
        case transferStarting
        case transferDone(FTPTransferRunner.Outcome)
    }

    /// Who is on the other end, known once the connection is admitted.
    struct Peer: Sendable {
        var clientAddress: String
        var localAddress: String
        /// The trusted proxy the control connection came through (its PROXY header gave `clientAddress`): passive
        /// data connections may come from it too, since it forwards the client's.
        var proxyAddress: String?
        var logger: Logger
    }

    let server: FTPServerContext

    private var context: ChannelHandlerContext?
    private var peer: Peer?
    private var machine: FTPSessionStateMachine
    /// Completed (and dropped) when the session has ended and cleaned up: the server then releases its slot.
    private var finished: EventLoopPromise<Void>?
    /// The session's resources are released and its connection is closing; set once.
    private var ended = false
    /// The connection closed (before the session started, or after it ended).
    private var connectionClosed = false
    private var listener: PassiveListener?
    private var transferControl: TransferControl?
    private var currentTransfer: FTPTransfer?
    private var transferStart = ContinuousClock.now
    private var idleTimer: Scheduled<Void>?
    /// The user whose session slot this session holds (see maxSessionsPerUser).
    private var heldUserSlot: String?
    // What the logged-in user's files go through (their quota) and their transfers draw on (rates).
    private var storage: any FTPStorage
    private var quotaAccount: QuotaAccount?
    private var pacers: (upload: BandwidthPacer?, download: BandwidthPacer?)
    /// This session's TLS context, kept for its whole life (see FTPServerContext.tls).
    private let sessionTLS: TLSContext?
    /// Authentication and file operations under way, cancelled if the session ends first.
    private var tasks: [Int: Task<Void, Never>] = [:]
    /// The running file operation's task (in `tasks` while it runs), for ABOR during a HASH.
    private var fileOperationTask: Int?
    private var nextTask = 0
    /// A read held back while the client does not take its replies (TCP's window then slows its commands).
    private var readHeld = false
    /// The newest reply's write: the connection closes once it (and so every reply before it) has gone out.
    private var lastWrite: EventLoopFuture<Void>?

    init(server: FTPServerContext, implicitTLS: Bool) {
        self.server = server
        self.machine = FTPSessionStateMachine(configuration: server.configuration.session, implicitTLS: implicitTLS)
        self.storage = server.configuration.storage
        self.pacers = server.bandwidth.globalPacers
        self.sessionTLS = server.tls
        server.sessionObjects.add(1, ordering: .relaxed)
    }

    deinit {
        self.server.sessionObjects.subtract(1, ordering: .relaxed)
    }

    private var configuration: FTPServerConfiguration { self.server.configuration }
    var logger: Logger { self.peer?.logger ?? Logger(label: "ftpd") }
    var clientAddress: String { self.peer?.clientAddress ?? "unknown" }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// The context holds this handler and this handler held the context: without letting go here, every session
    /// that ever connected stayed in memory (2 KiB each, measured with heaptrack over 3,000 connections).
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.ended else { return }
        self.run(self.machine.lineReceived(self.unwrapInboundIn(data), now: .now()))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connectionClosed = true
        if self.peer != nil {
            self.end()
            self.finishIfDone()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Lines wait while the client does not read its replies; they are answered, and reading resumes, once it does.
        let writable = context.channel.isWritable
        self.machine.writabilityChanged(writable)
        if writable {
            if self.peer != nil { self.drain() }
            if self.readHeld {
                self.readHeld = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable { context.read() } else { self.readHeld = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("control connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Life

    /// Begins the session (greeting, then the lines held so far); the future completes once it has ended. Throws
    /// `ChannelError.ioOnClosedChannel` when the handler has left its pipeline: the connection is gone.
    func start(_ peer: Peer) throws(ChannelError) -> EventLoopFuture<Void> {
        guard let context = self.context else { throw .ioOnClosedChannel }
        let promise = context.eventLoop.makePromise(of: Void.self)
        self.finished = promise
        self.peer = peer
        if self.connectionClosed || self.ended {  // the client left (or flooded) before it was admitted
            self.end()
            self.finishIfDone()
            return promise.futureResult
        }
        let now = NIODeadline.now()
        self.run(self.machine.admitted(
            clientAddress: peer.clientAddress,
            passiveAddress: self.server.passiveAddress(for: peer.clientAddress) ?? peer.localAddress, now: now))
        self.armIdleTimer(at: self.machine.nextTick(now: now))
        return promise.futureResult
    }

    /// The server is shutting down: end now, or after the running transfer (the machine decides).
    func shutDown() {
        guard !self.ended else { return }
        self.run(self.machine.shutDown())
    }

    /// Ends the session: stops what runs, closes the connection and, once a running transfer has cleaned up (an
    /// aborted upload removed), completes ``start(_:)``'s future.
    private func end() {
        guard !self.ended else { return }
        self.ended = true
        self.machine.connectionClosed()
        self.idleTimer?.cancel()
        self.idleTimer = nil  // nothing left to tick; its closure no longer needs to outlive the session
        self.listener?.close()
        self.listener = nil
        for task in self.tasks.values { task.cancel() }
        self.tasks = [:]
        self.transferControl?.abort()  // its transferDone event comes back to finishIfDone
        guard let context = self.context else { return }
        let channel = context.channel
        // The session is over for the server (its slot, its count) once the connection is closed: channelInactive.
        guard let lastWrite, !self.connectionClosed else { return channel.close(promise: nil) }
        // The last replies go out first, unless the client does not take them in time (it stopped reading: its
        // receive window is shut), in which case the connection is reset, so that its unsent bytes go too.
        let logger = self.logger
        let reset = context.eventLoop.scheduleTask(in: TimeAmount(self.configuration.closeTimeout)) {
            logger.notice("resetting the connection of a client that does not read its replies")
            StallWatchdog.reset(channel)
        }
        lastWrite.whenComplete { _ in
            reset.cancel()
            channel.close(promise: nil)
        }
    }

    /// Completes the session once it has ended, its connection is closed and no transfer is still cleaning up.
    private func finishIfDone() {
        guard self.ended, self.connectionClosed, self.transferControl == nil, let finished = self.finished else { return }
        self.finished = nil
        self.server.emit(.loggedOut(user: self.machine.user?.name, client: self.clientAddress))
        if let heldUserSlot { self.server.limiter.releaseUser(heldUserSlot) }
        self.heldUserSlot = nil
        self.quotaAccount?.detach()
        self.quotaAccount = nil
        finished.succeed()
    }

    // MARK: - Events from tasks

    private func handle(_ event: Event) {
        if self.ended {
            switch event {
            case .authenticated(_, let account): account?.detach()
            case .passiveOpened(let listener): listener.close()
            case .transferDone(let outcome):
                self.transferEnded(outcome)
                self.finishIfDone()
            default: break
            }
            return
        }
        switch event {
        case .authenticated(let user, let account):
            self.run(self.machine.authenticationCompleted(self.loginOutcome(user, account)))
        case .passiveOpened(let l):
            self.listener = l
            self.run(self.machine.passiveListenerOpened(port: l.port))
        case .passiveFailed(let reason):
            self.run(self.machine.passiveListenerFailed(reason))
        case .fileOperationDone(let operation, let result):
            self.emitFileEvent(operation, result, user: self.machine.user?.name ?? "")
            self.run(self.machine.fileOperationCompleted(operation, result, now: Date()))
        case .statusListingSent(let outcome):
            self.run(self.machine.statusListingSent(outcome))
        case .transferStarting:
            self.send(self.machine.transferStarting())
        case .transferDone(let outcome):
            self.transferEnded(outcome)
            self.run(self.machine.transferCompleted(outcome.result))
        }
    }

    private func transferEnded(_ outcome: FTPTransferRunner.Outcome) {
        self.transferControl = nil
        if let transfer = self.currentTransfer {
            self.logTransfer(transfer, outcome, user: self.machine.user?.name ?? "", started: self.transferStart)
        }
        self.currentTransfer = nil
    }

    /// Takes the server-wide reservations a login's result involves (the user's session slot, the address's failure
    /// count) and says how they came out, for the machine to answer.
    private func loginOutcome(_ user: FTPUser?, _ account: QuotaAccount?) -> FTPSessionStateMachine.AuthenticationOutcome {
        guard let user else {
            return .rejected(addressBanned: self.server.recordLoginFailure(self.clientAddress))
        }
        // A new login (after REIN) gives up the previous user's slot first.
        if let held = self.heldUserSlot {
            self.server.limiter.releaseUser(held)
            self.heldUserSlot = nil
        }
        if let limit = user.maxSessions ?? self.configuration.maxSessionsPerUser {
            guard self.server.limiter.acquireUser(user.name, limit: limit) else {
                self.logger.notice("login refused", metadata: [
                    "user": "\(user.name)", "reason": "too many sessions for this user", "limit": "\(limit)"])
                self.server.audit(FTPAuditRecord(
                    event: .loginFailed, user: user.name, address: self.clientAddress, result: .failed,
                    reason: "too many sessions for this user"))
                account?.detach()
                return .sessionLimitReached
            }
            self.heldUserSlot = user.name
        }
        self.quotaAccount?.detach()
        self.quotaAccount = account
        self.storage = account.map { QuotaStorage(base: self.configuration.storage, account: $0) } ?? self.configuration.storage
        self.pacers = self.server.bandwidth.pacers(user: user.name, limits: user.bandwidth ?? self.configuration.userBandwidth)
        self.server.recordLoginSuccess(self.clientAddress)
        self.server.emit(.loggedIn(user: user.name, client: self.clientAddress))
        self.server.audit(FTPAuditRecord(event: .login, user: user.name, address: self.clientAddress))
        self.logger.info("logged in", metadata: ["user": "\(user.name)"])
        return .accepted(user)
    }

    // MARK: - Actions

    /// Carries out an action and, while the session goes on, answers the commands that waited for it.
    private func run(_ action: FTPSessionStateMachine.Action) {
        guard self.perform(action) else { return self.end() }
        self.drain()
    }

    /// Answers queued commands in order for as long as the machine can.
    private func drain() {
        while !self.ended, let action = self.machine.nextQueuedAction() {
            if !self.perform(action) { return self.end() }
        }
    }

    private func send(_ reply: FTPReply) {
        guard let context = self.context, !self.ended else { return }
        self.lastWrite = context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: reply.encoded)))
    }

    /// Runs `body` in a task that reports its event back on this event loop.
    ///
    /// The task prefers this event loop as its executor: what it does without blocking (a cached or anonymous
    /// login, a storage call's hop to the file threads and back) starts and ends here, and its event is handled in
    /// the same turn. On the cooperative pool each task cost two thread wake-ups more, in series with the client's
    /// round trip: with ftpbench's 200 clients opening one after another, that latency is what its figures add up
    /// (Docs/benchmarks.md).
    @discardableResult
    private func spawn(_ body: @escaping @Sendable () async -> Event) -> Int? {
        guard let loop = self.context?.eventLoop else { return nil }
        let me = NIOLoopBound(self, eventLoop: loop)
        self.nextTask += 1
        let id = self.nextTask
        self.tasks[id] = Self.task(on: loop) {
            let event = await body()
            Self.deliver(on: loop) {
                me.value.tasks[id] = nil
                me.value.handle(event)
            }
        }
        return id
    }

    /// A task that prefers `loop` as its executor. (Written inline at the call sites, `Task(executorPreference:)`
    /// trips Swift 6's region-based isolation checker: "pattern that the checker does not understand".)
    @discardableResult
    private static func task(on loop: any EventLoop, _ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: EventLoopTaskExecutor(loop), operation: operation)
    }

    /// Runs `work` on `loop`: at once when the task already runs there (its own job, not inside another handler
    /// call), else as the loop's next job.
    private static func deliver(on loop: any EventLoop, _ work: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { work() } else { loop.execute(work) }
    }

    /// Carries out one action; returns false when the session must end.
    private func perform(_ action: FTPSessionStateMachine.Action) -> Bool {
        switch action {
        case .none:
            return true
        case .reply(let r):
            self.send(r)
        case .replies(let rs):
            for r in rs { self.send(r) }
        case .close(let rs):
            for r in rs { self.send(r) }
            return false
        case .authenticate(let user, let password):
            if self.server.isBanned(self.clientAddress) {
                self.handleSoon(.authenticated(nil, nil))
                return true
            }
            self.authenticate(user: user, password: password)
        case .rejectLogin(let user, let reason, let hold):
            self.server.emit(.loginFailed(user: user, client: self.clientAddress))
            self.server.audit(FTPAuditRecord(
                event: .loginFailed, user: user, address: self.clientAddress, result: .failed, reason: reason))
            self.logger.notice("login failed", metadata: ["user": "\(user)", "answer": "\(reason)"])
            guard let loop = self.context?.eventLoop else { return false }
            let me = NIOLoopBound(self, eventLoop: loop)
            loop.scheduleTask(in: TimeAmount(hold)) {
                let session = me.value
                guard !session.ended else { return }
                session.run(session.machine.loginHoldElapsed())
            }
        case .openPassiveListener(let secure):
            self.listener?.close()
            self.listener = nil
            // The listening socket on this session's loop, the data connection on any loop of the group: pinning
            // the data connection too was measured and not kept (Docs/benchmarks.md, "where data connections run").
            let group = self.server.group
            let loop = self.context?.eventLoop
            let host = self.peer!.localAddress
            let client = self.clientAddress
            let proxy = self.peer!.proxyAddress
            let logger = self.logger
            let range = self.configuration.passivePorts
            let tls = secure ? self.sessionTLS : nil
            let failures = self.server.passiveAcceptFailures
            self.spawn {
                do {
                    return .passiveOpened(try await PassiveListener.open(
                        group: group, loop: loop, host: host, range: range, expectedPeer: client, logger: logger,
                        acceptFailures: failures, tls: tls, alsoAccept: proxy))
                } catch {
                    return .passiveFailed("\(error)")
                }
            }
        case .closeDataEndpoint(let reply):
            self.listener?.close()
            self.listener = nil
            self.send(reply)
        case .dataEndpointReady(let reply, let closePassiveListener, let sendTLSTicket):
            if closePassiveListener {
                self.listener?.close()
                self.listener = nil
            }
            if sendTLSTicket, let context = self.context {
                try? context.pipeline.syncOperations.handler(type: OpenSSLHandler.self).requestTicket()
            }
            self.send(reply)
        case .fileOperation(let operation):
            let performer = FTPFileOperationPerformer(storage: self.storage)
            self.fileOperationTask = self.spawn { .fileOperationDone(operation, await performer.perform(operation)) }
        case .sendStatusListing(let listing):
            guard let channel = self.context?.channel else { return false }
            // A client that does not read the reply for the idle timeout is taken as gone, as an idle one is.
            let storage = self.storage
            let stallTimeout = TimeAmount(self.configuration.idleTimeout)
            self.spawn { .statusListingSent(await listing.write(from: storage, on: channel, stallTimeout: stallTimeout)) }
        case .transfer(let transfer):
            self.startTransfer(transfer)
        case .abortTransfer:
            self.transferControl?.abort()
        case .abortFileOperation:
            // Cancelled, the operation still reports (as failed), and that answers the ABOR.
            if let id = self.fileOperationTask { self.tasks[id]?.cancel() }
        case .startTLS(let reply):
            guard let tls = self.sessionTLS, let context = self.context else { return false }
            // The 234 leaves in clear text and TLS goes in front in the same event-loop turn: no read can happen
            // in between, so the client's ClientHello (sent as soon as it sees 234) meets TLS.
            context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: reply.encoded)), promise: nil)
            do {
                try context.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls), position: .first)
            } catch {
                self.logger.error("TLS could not start", metadata: ["error": "\(error)"])
                return false
            }
        case .reinitialize(let reply, let loggedOutUser):
            self.listener?.close()
            self.listener = nil
            self.server.emit(.loggedOut(user: loggedOutUser, client: self.clientAddress))
            self.quotaAccount?.detach()
            self.quotaAccount = nil
            self.storage = self.configuration.storage
            self.pacers = self.server.bandwidth.globalPacers
            self.send(reply)
        }
        return true
    }

    /// Checks the password in a task; for a user with a quota, joins the quota's ledger before the login completes.
    private func authenticate(user: String, password: String) {
        let config = self.configuration
        let client = self.clientAddress
        let quotas = self.server.quotas
        let logger = self.logger
        self.spawn {
            let result = await config.authenticator.authenticate(user: user, password: password, client: client)
            guard let result, let quota = result.quota ?? config.defaultQuota, !quota.isUnlimited else {
                return .authenticated(result, nil)
            }
            // The ledger is joined (its first session counts the user's files) before the login completes, so the
            // first upload is already charged against the real usage.
            do {
                let account = try await quotas.attach(user: result.name, quota: quota) {
                    try await QuotaStorage.usage(of: config.storage, below: result.root)
                }
                return .authenticated(result, account)
            } catch {
                logger.error("login refused: the user's quota usage could not be counted", metadata: [
                    "user": "\(result.name)", "error": "\(error)"])
                return .authenticated(nil, nil)
            }
        }
    }

    /// An event for a decision taken at once, delivered after the current action like a task's would be.
    private func handleSoon(_ event: Event) {
        guard let loop = self.context?.eventLoop else { return }
        let me = NIOLoopBound(self, eventLoop: loop)
        loop.execute { me.value.handle(event) }
    }

    private func startTransfer(_ transfer: FTPTransfer) {
        guard let context = self.context else { return }
        let control = TransferControl()
        self.transferControl = control
        self.currentTransfer = transfer
        self.transferStart = .now
        let runner = FTPTransferRunner(
            transfer: transfer, storage: self.storage, group: self.server.group, listener: self.listener,
            control: control, controlChannel: context.channel, timeout: self.configuration.dataTimeout,
            permissions: self.machine.user?.permissions ?? [], logger: self.logger,
            tls: transfer.secure ? self.sessionTLS : nil, requireSessionReuse: self.configuration.requireTLSSessionReuse,
            requireCloseNotify: self.configuration.requireTLSCloseNotify,
            pacer: transfer.isUpload ? self.pacers.upload : self.pacers.download,
            digest: self.configuration.auditDigests && self.configuration.auditSink != nil,
            receiveBudget: self.server.uploadBuffers, readBudget: self.server.downloadBuffers)
        self.listener = nil
        let loop = context.eventLoop
        let me = NIOLoopBound(self, eventLoop: loop)
        // Not in `tasks`: a transfer is stopped through its control, and always reports how it ended.
        Self.task(on: loop) {
            // Both events the same way: were the `150` queued and the `226` handled at once, a transfer that ended
            // without suspending could answer 226 before 150.
            let outcome = await runner.run { Self.deliver(on: loop) { me.value.handle(.transferStarting) } }
            Self.deliver(on: loop) { me.value.handle(.transferDone(outcome)) }
        }
    }

    // MARK: - Idle timeout

    /// One timer per session: the machine says whether the session timed out and when to look again.
    private func armIdleTimer(at deadline: NIODeadline) {
        guard let loop = self.context?.eventLoop, !self.ended else { return }
        let me = NIOLoopBound(self, eventLoop: loop)
        self.idleTimer = loop.scheduleTask(deadline: deadline) {
            let session = me.value
            guard !session.ended else { return }
            let now = NIODeadline.now()
            session.run(session.machine.tick(now: now))
            session.armIdleTimer(at: session.machine.nextTick(now: now))
        }
    }
}
