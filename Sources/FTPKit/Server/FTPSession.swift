import Foundation
import Logging
import NIOCore
import NIOPosix

/// Drives one control connection: reads lines, feeds them to the ``FTPSessionStateMachine`` and carries out its
/// actions. All session state is owned by the single loop in ``run()``; slow work (authentication, storage,
/// transfers) runs in child tasks that report back as events, so the loop never blocks and ABOR is always heard.
struct FTPSession {
    typealias ControlChannel = NIOAsyncChannel<FTPControlLine, ByteBuffer>

    enum Event: Sendable {
        case line(FTPControlLine)
        case inputClosed
        /// The login's result and, for a user with a quota, their account (already joined).
        case authenticated(FTPUser?, QuotaAccount?)
        case delayElapsed(FTPReply, close: Bool)
        case passiveOpened(PassiveListener)
        case passiveFailed(String)
        case fileOperationDone(FTPFileOperation, FTPFileOperationResult)
        case transferStarting
        case transferDone(FTPTransferRunner.Outcome)
        case tick
        case shutdown
    }

    private enum Pending {
        case line(FTPControlLine)
        case command(FTPCommand)
    }

    let context: FTPServerContext
    let channel: ControlChannel
    let clientAddress: String
    let localAddress: String
    var logger: Logger
    /// Accepted on the implicit FTPS listener: the control connection is TLS from the start.
    var implicitTLS = false
    /// The trusted proxy the control connection came through (its PROXY header gave `clientAddress`): passive
    /// data connections may come from it too, since it forwards the client's.
    var proxyAddress: String?

    /// 227/229 (passive) and the 200 that accepts PORT/EPRT: the client opens or awaits a data connection next.
    static func setsUpDataConnection(_ reply: FTPReply) -> Bool {
        reply.code == 227 || reply.code == 229
            || (reply.code == 200 && (reply.text.hasPrefix("PORT command") || reply.text.hasPrefix("EPRT command")))
    }

    func run(shutdown: AsyncStream<Void>) async {
        do {
            try await self.channel.executeThenClose { inbound, outbound in
                try await self.serve(inbound: inbound, outbound: outbound, shutdown: shutdown)
            }
        } catch {
            self.logger.debug("session ended with error", metadata: ["error": "\(error)"])
        }
    }

    private func serve(
        inbound: NIOAsyncChannelInboundStream<FTPControlLine>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        shutdown: AsyncStream<Void>
    ) async throws {
        let config = self.context.configuration
        // This session's TLS context, kept for its whole life (see FTPServerContext.tls).
        let sessionTLS = self.context.tls
        let (events, sink) = AsyncStream<Event>.makeStream()
        // The user whose session slot this session holds (see maxSessionsPerUser).
        var heldUserSlot: String?
        defer { if let heldUserSlot { self.context.limiter.releaseUser(heldUserSlot) } }
        var machine = FTPSessionStateMachine(
            configuration: config.session, clientAddress: self.clientAddress,
            passiveAddress: self.context.passiveAddress(for: self.clientAddress) ?? self.localAddress,
            implicitTLS: self.implicitTLS)
        var pending: [Pending] = []
        var holding = false
        var listener: PassiveListener?
        var transferControl: TransferControl?
        var currentTransfer: FTPTransfer?
        var transferStart = ContinuousClock.now
        var lastActivity = ContinuousClock.now
        var closeAfterTransfer = false
        var userName: String?
        // What the logged-in user's files go through (their quota) and their transfers draw on (rates).
        var storage: any FTPStorage = config.storage
        var quotaAccount: QuotaAccount?
        defer { quotaAccount?.detach() }
        var pacers = self.context.bandwidth.globalPacers

        // Replies are written on the channel and awaited one by one (not through the async writer, which hands
        // writes to the event loop later): AUTH TLS must know its 234 left in clear text before TLS starts.
        let control = self.channel.channel
        func send(_ reply: FTPReply) async throws {
            if machine.controlSecure, machine.protectData, Self.setsUpDataConnection(reply) {
                // The client resumes this connection's session on the data connection, and TLS 1.3 tickets are
                // single-use: send a fresh one ahead of the reply it is about to act on.
                try? await control.eventLoop.submit {
                    try control.pipeline.syncOperations.handler(type: OpenSSLHandler.self).requestTicket()
                }.get()
            }
            try await control.writeAndFlush(ByteBuffer(string: reply.encoded))
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await line in inbound { sink.yield(.line(line)) }
                } catch {}
                sink.yield(.inputClosed)
            }
            group.addTask {
                let period = min(config.idleTimeout / 4, .seconds(5))
                while !Task.isCancelled {
                    try await Task.sleep(for: period)
                    sink.yield(.tick)
                }
            }
            group.addTask {
                for await _ in shutdown { sink.yield(.shutdown); return }
            }
            defer {
                listener?.close()
                transferControl?.abort()
                group.cancelAll()
            }

            try await send(machine.greeting().reply!)

            /// Carries out one action; returns false when the session must end.
            func perform(_ action: FTPSessionStateMachine.Action) async throws -> Bool {
                switch action {
                case .none:
                    return true
                case .reply(let r):
                    try await send(r)
                case .replies(let rs):
                    for r in rs { try await send(r) }
                case .close(let rs):
                    for r in rs { try await send(r) }
                    return false
                case .authenticate(let user, let password):
                    userName = user
                    if self.context.isBanned(self.clientAddress) {
                        sink.yield(.authenticated(nil, nil))
                        return true
                    }
                    let authenticator = config.authenticator
                    let client = self.clientAddress
                    let quotas = self.context.quotas
                    let logger = self.logger
                    group.addTask {
                        let result = await authenticator.authenticate(user: user, password: password, client: client)
                        guard let result, let quota = result.quota ?? config.defaultQuota, !quota.isUnlimited else {
                            sink.yield(.authenticated(result, nil))
                            return
                        }
                        // The quota's ledger is joined (its first session counts the user's files) before the
                        // login completes, so the first upload is already charged against the real usage.
                        do {
                            let account = try await quotas.attach(user: result.name, quota: quota) {
                                try await QuotaStorage.usage(of: config.storage, below: result.root)
                            }
                            sink.yield(.authenticated(result, account))
                        } catch {
                            logger.error("login refused: the user's quota usage could not be counted", metadata: [
                                "user": "\(result.name)", "error": "\(error)"])
                            sink.yield(.authenticated(nil, nil))
                        }
                    }
                case .rejectLogin(let reply, let close):
                    holding = true
                    let banned = self.context.recordLoginFailure(self.clientAddress)
                    self.context.emit(.loginFailed(user: userName ?? "", client: self.clientAddress))
                    self.context.audit(FTPAuditRecord(
                        event: .loginFailed, user: userName ?? "", address: self.clientAddress, result: .failed,
                        reason: reply.lines.joined(separator: " ")))
                    self.logger.notice("login failed", metadata: ["user": "\(userName ?? "")", "banned": "\(banned)"])
                    let delay = config.loginFailureDelay
                    group.addTask {
                        try await Task.sleep(for: delay)
                        sink.yield(.delayElapsed(banned ? FTPReply(421, "Too many failed logins from your address.") : reply,
                            close: close || banned))
                    }
                case .openPassiveListener:
                    listener?.close()
                    listener = nil
                    let group2 = self.context.group
                    let host = self.localAddress
                    let client = self.clientAddress
                    let proxy = self.proxyAddress
                    let logger = self.logger
                    let tls = machine.protectData ? sessionTLS : nil
                    group.addTask {
                        do {
                            let l = try await PassiveListener.open(
                                group: group2, host: host, range: config.passivePorts, expectedPeer: client,
                                logger: logger, tls: tls, alsoAccept: proxy)
                            sink.yield(.passiveOpened(l))
                        } catch {
                            sink.yield(.passiveFailed("\(error)"))
                        }
                    }
                case .closeDataEndpoint(let reply):
                    listener?.close()
                    listener = nil
                    try await send(reply)
                case .fileOperation(let operation):
                    let performer = FTPFileOperationPerformer(storage: storage)
                    group.addTask {
                        sink.yield(.fileOperationDone(operation, await performer.perform(operation)))
                    }
                case .transfer(let transfer):
                    let control = TransferControl()
                    transferControl = control
                    currentTransfer = transfer
                    transferStart = .now
                    let runner = FTPTransferRunner(
                        transfer: transfer, storage: storage, group: self.context.group, listener: listener,
                        control: control, controlChannel: self.channel.channel, timeout: config.dataTimeout,
                        permissions: machine.user?.permissions ?? [], logger: self.logger,
                        tls: transfer.secure ? sessionTLS : nil, requireSessionReuse: config.requireTLSSessionReuse,
                        pacer: transfer.isUpload ? pacers.upload : pacers.download,
                        digest: self.context.configuration.auditDigests && self.context.configuration.auditSink != nil)
                    listener = nil
                    group.addTask {
                        let outcome = await runner.run { sink.yield(.transferStarting) }
                        sink.yield(.transferDone(outcome))
                    }
                case .abortTransfer:
                    transferControl?.abort()
                case .deferCommand(let command):
                    pending.append(.command(command))
                    if pending.count > config.maxQueuedCommands {
                        try await send(FTPReply(421, "Too many commands queued; closing."))
                        return false
                    }
                case .startTLS(let reply):
                    guard let tls = sessionTLS else { return false }
                    // One event-loop step writes the 234 in clear text and inserts TLS in front: no read can
                    // happen in between, so the client's ClientHello (sent as soon as it sees 234) meets TLS.
                    try await control.eventLoop.submit {
                        control.writeAndFlush(ByteBuffer(string: reply.encoded), promise: nil)
                        try control.pipeline.syncOperations.addHandler(try OpenSSLHandler(context: tls), position: .first)
                    }.get()
                case .reinitialize(let reply):
                    listener?.close()
                    listener = nil
                    if let name = machine.user?.name ?? userName {
                        self.context.emit(.loggedOut(user: name, client: self.clientAddress))
                    }
                    quotaAccount?.detach()
                    quotaAccount = nil
                    storage = config.storage
                    pacers = self.context.bandwidth.globalPacers
                    try await send(reply)
                }
                return true
            }

            func handleLine(_ line: FTPControlLine) async throws -> Bool {
                lastActivity = .now
                switch line {
                case .tooLong:
                    return try await perform(.reply(FTPCommandParseError.tooLong.reply))
                case .line(let bytes):
                    switch FTPCommandParser.parse(bytes.readableBytesView) {
                    case .failure(let error):
                        // A bare empty line is common keep-alive noise from some clients; answer it like any error.
                        return try await perform(.reply(error.reply))
                    case .success(let command):
                        if Self.looksLikeHTTP(command) {
                            try await send(FTPReply(421, "This is an FTP server, not HTTP."))
                            return false
                        }
                        self.logger.trace("command", metadata: ["command": "\(command)"])
                        return try await perform(machine.commandReceived(command))
                    }
                }
            }

            /// Replays commands that arrived while the session was busy, in order, as long as it stays free.
            func drain() async throws -> Bool {
                while !pending.isEmpty, !holding, machine.isIdle {
                    switch pending.removeFirst() {
                    case .line(let l):
                        if try await !handleLine(l) { return false }
                    case .command(let c):
                        if try await !perform(machine.commandReceived(c)) { return false }
                    }
                }
                return true
            }

            eventLoop: for await event in events {
                var keepGoing = true
                switch event {
                case .line(let line):
                    if holding || (!machine.isIdle && !machine.isTransferring) || !pending.isEmpty {
                        pending.append(.line(line))
                        if pending.count > config.maxQueuedCommands {
                            try await send(FTPReply(421, "Too many commands queued; closing."))
                            break eventLoop
                        }
                    } else {
                        keepGoing = try await handleLine(line)
                    }
                case .inputClosed:
                    break eventLoop
                case .authenticated(let user, let account):
                    // A new login (after REIN) gives up the previous user's slot first.
                    if let held = heldUserSlot, user != nil {
                        self.context.limiter.releaseUser(held)
                        heldUserSlot = nil
                    }
                    if let user, let limit = user.maxSessions ?? config.maxSessionsPerUser {
                        guard self.context.limiter.acquireUser(user.name, limit: limit) else {
                            self.logger.notice("login refused", metadata: [
                                "user": "\(user.name)", "reason": "too many sessions for this user", "limit": "\(limit)"])
                            self.context.audit(FTPAuditRecord(
                                event: .loginFailed, user: user.name, address: self.clientAddress, result: .failed,
                                reason: "too many sessions for this user"))
                            try await send(FTPReply(421, "Too many sessions for this user; try again later."))
                            account?.detach()
                            break eventLoop
                        }
                        heldUserSlot = user.name
                    }
                    let action = machine.authenticationCompleted(user)
                    if let user {
                        quotaAccount?.detach()
                        quotaAccount = account
                        storage = account.map { QuotaStorage(base: config.storage, account: $0) } ?? config.storage
                        pacers = self.context.bandwidth.pacers(
                            user: user.name, limits: user.bandwidth ?? config.userBandwidth)
                        self.context.recordLoginSuccess(self.clientAddress)
                        self.context.emit(.loggedIn(user: user.name, client: self.clientAddress))
                        self.context.audit(FTPAuditRecord(event: .login, user: user.name, address: self.clientAddress))
                        self.logger.info("logged in", metadata: ["user": "\(user.name)"])
                    }
                    keepGoing = try await perform(action)
                case .delayElapsed(let reply, let close):
                    holding = false
                    try await send(reply)
                    keepGoing = !close
                case .passiveOpened(let l):
                    listener = l
                    let action = machine.passiveListenerOpened(port: l.port)
                    keepGoing = try await perform(action)
                case .passiveFailed(let reason):
                    keepGoing = try await perform(machine.passiveListenerFailed(reason))
                case .fileOperationDone(let operation, let result):
                    self.emitFileEvent(operation, result, user: machine.user?.name ?? "")
                    keepGoing = try await perform(machine.fileOperationCompleted(operation, result))
                case .transferStarting:
                    try await send(machine.transferStarting())
                case .transferDone(let outcome):
                    transferControl = nil
                    if let transfer = currentTransfer {
                        self.logTransfer(transfer, outcome, user: machine.user?.name ?? "", started: transferStart)
                    }
                    currentTransfer = nil
                    keepGoing = try await perform(machine.transferCompleted(outcome.result))
                    if closeAfterTransfer {
                        try await send(FTPReply(421, "Server shutting down."))
                        keepGoing = false
                    }
                case .tick:
                    if machine.isIdle, !holding, ContinuousClock.now - lastActivity > config.idleTimeout {
                        try await send(FTPReply(421, "Idle timeout; closing control connection."))
                        keepGoing = false
                    }
                case .shutdown:
                    if machine.isTransferring {
                        closeAfterTransfer = true
                    } else {
                        try await send(FTPReply(421, "Server shutting down."))
                        keepGoing = false
                    }
                }
                if !keepGoing { break }
                if try await !drain() { break }
            }

            if let transferControl {
                transferControl.abort()
                // Let the transfer task clean up (abort the upload) before the session goes away.
                for await event in events {
                    if case .transferDone(let outcome) = event {
                        if let transfer = currentTransfer {
                            self.logTransfer(transfer, outcome, user: machine.user?.name ?? "", started: transferStart)
                        }
                        break
                    }
                }
            }
            self.context.emit(.loggedOut(user: machine.user?.name, client: self.clientAddress))
        }
    }

    private static func looksLikeHTTP(_ command: FTPCommand) -> Bool {
        // ALPACA-style cross-protocol requests: an HTTP request line ends the session at once.
        ["GET", "POST", "PUT", "HEAD", "OPTIONS", "CONNECT", "DELETE", "PATCH", "TRACE"].contains(command.verb)
            && (command.argument.hasSuffix("HTTP/1.1") || command.argument.hasSuffix("HTTP/1.0"))
    }

    private func emitFileEvent(_ operation: FTPFileOperation, _ result: FTPFileOperationResult, user: String) {
        let audit: (FTPAuditRecord.Event, FTPPath, FTPPath?)? = switch operation {
        case .delete(_, let d): (.delete, d, nil)
        case .makeDirectory(_, let d): (.mkdir, d, nil)
        case .removeDirectory(_, let d): (.rmdir, d, nil)
        case .rename(let from, _, let d): (.rename, from, d)
        default: nil
        }
        if let (event, path, to) = audit {
            var record = FTPAuditRecord(
                event: event, user: user, address: self.clientAddress, path: path.description, to: to?.description)
            if case .failed(let error) = result {
                record.result = .failed
                record.reason = error.reply.lines.joined(separator: " ")
            }
            self.context.audit(record)
        }
        if case .failed = result { return }
        switch operation {
        case .delete(_, let d): self.context.emit(.deleted(path: d, user: user))
        case .makeDirectory(_, let d): self.context.emit(.directoryCreated(path: d, user: user))
        case .removeDirectory(_, let d): self.context.emit(.directoryRemoved(path: d, user: user))
        case .rename(let from, _, let d): self.context.emit(.renamed(from: from, to: d, user: user))
        default: break
        }
    }

    private func logTransfer(
        _ transfer: FTPTransfer, _ outcome: FTPTransferRunner.Outcome, user: String, started: ContinuousClock.Instant
    ) {
        let result = outcome.result
        let elapsed = ContinuousClock.now - started
        var bytes: UInt64 = 0
        var complete = false
        switch result {
        case .completed(let b, _): bytes = b; complete = true
        case .connectionLost(let b), .aborted(let b), .localError(_, let b): bytes = b
        case .storageFailed, .dataConnectionFailed, .securityFailure:
            self.auditTransfer(transfer, result, user: user, bytes: 0, seconds: Self.seconds(elapsed))
            return
        }
        self.auditTransfer(transfer, result, user: user, bytes: bytes, seconds: Self.seconds(elapsed), sha256: outcome.sha256)
        let direction: String
        switch transfer.kind {
        case .retrieve:
            direction = "sent"
            self.context.emit(.fileSent(path: transfer.virtualPath, user: user, bytes: bytes, complete: complete))
        case .store, .storeUnique:
            direction = "received"
            var path = transfer.virtualPath
            if case .storeUnique = transfer.kind, case .completed(_, let name?) = result { path = path.appending(name) }
            self.context.emit(.fileReceived(path: path, user: user, bytes: bytes, complete: complete))
        case .list:
            direction = "listed"
        }
        let seconds = Self.seconds(elapsed)
        self.context.metrics.transfer(direction: direction, complete: complete, bytes: bytes, seconds: seconds)
        self.logger.info("transfer \(complete ? "complete" : "failed")", metadata: [
            "direction": "\(direction)", "path": "\(transfer.virtualPath)", "bytes": "\(bytes)",
            "seconds": "\(seconds)",
        ])
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func auditTransfer(
        _ transfer: FTPTransfer, _ result: FTPTransferResult, user: String, bytes: UInt64, seconds: Double,
        sha256: String? = nil
    ) {
        let event: FTPAuditRecord.Event
        var path = transfer.virtualPath
        switch transfer.kind {
        case .retrieve: event = .download
        case .store, .storeUnique:
            event = .upload
            if case .storeUnique = transfer.kind, case .completed(_, let name?) = result { path = path.appending(name) }
        case .list: return
        }
        var record = FTPAuditRecord(
            event: event, user: user, address: self.clientAddress, path: path.description, bytes: bytes,
            duration: seconds, sha256: sha256)
        switch result {
        case .completed: record.result = .ok
        case .connectionLost, .aborted:
            record.result = .incomplete
        case .localError(let error, _), .storageFailed(let error):
            record.result = .failed
            record.reason = error.reply.lines.joined(separator: " ")
        case .dataConnectionFailed(let reason), .securityFailure(let reason):
            record.result = .failed
            record.reason = reason
        }
        self.context.audit(record)
    }
}

extension FTPSessionStateMachine.Action {
    var reply: FTPReply? {
        if case .reply(let r) = self { return r }
        return nil
    }
}
