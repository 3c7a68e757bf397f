package import NIOCore

/// The protocol logic of one FTP control connection, without I/O.
///
/// The driver feeds it events — a control line, the server's admission, an authentication's outcome, a storage
/// operation's or transfer's result, a timer's tick with the time, the connection's writability — and carries out
/// the ``Action`` each returns. Every policy lives here: what waits in the command queue and its limit, the failed
/// login's hold and the ban's answer, the idle timeout, closing after the running transfer on shutdown or QUIT.
///
/// After performing an action, while the session goes on, the driver calls ``nextQueuedAction()`` until it returns
/// `nil`: the commands that waited for the step just finished are answered in order.
package struct FTPSessionStateMachine: Sendable {
    /// What applies to the whole connection rather than to one login.
    struct Connection: Sendable, Hashable {
        /// The control connection is TLS (AUTH TLS, or implicit FTPS).
        var controlSecure: Bool
        var protectionBufferSet = false
        /// PROT P: data connections use TLS.
        var protectData = false
        var hashAlgorithm: FTPHashAlgorithm = .sha256
        var machineFacts: [MachineListFact] = MachineListFact.allCases
    }

    package let configuration: FTPSessionConfiguration
    /// The client's IP address (after any PROXY header), for the bounce check.
    package private(set) var clientAddress: String
    /// The address advertised in 227 replies.
    package private(set) var passiveAddress: String?
    var phase: FTPSessionPhase
    var connection: Connection
    /// Commands (or unparseable lines) that arrived while the session could not answer them, oldest first.
    private(set) var queue: [Result<FTPCommand, FTPCommandParseError>] = []
    /// The client is reading its replies; while it is not, commands wait (TCP's window then slows the client).
    private var writable = true
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)

    /// A session still to be admitted (see ``admitted(clientAddress:passiveAddress:now:)``).
    package init(configuration: FTPSessionConfiguration, implicitTLS: Bool = false) {
        self.configuration = configuration
        self.clientAddress = "unknown"
        self.phase = .awaitingAdmission
        self.connection = Connection(controlSecure: implicitTLS)
    }

    /// A session admitted already (greeted), for a client at `clientAddress`.
    package init(
        configuration: FTPSessionConfiguration, clientAddress: String, passiveAddress: String? = nil,
        implicitTLS: Bool = false
    ) {
        self.init(configuration: configuration, implicitTLS: implicitTLS)
        self.clientAddress = IPAddressText.canonical(clientAddress)
        self.passiveAddress = passiveAddress
        self.phase = .loggedOut(.init())
    }

    // MARK: - State for the driver and tests

    /// The logged-in user; after the session closed, the one it ended with (for the records).
    package var user: FTPUser? {
        switch self.phase {
        case .loggedIn(let s): s.user
        case .closed(let user): user
        default: nil
        }
    }

    package var directory: FTPPath {
        if case .loggedIn(let s) = self.phase { return s.directory }
        return .root
    }

    package var type: FTPDataType {
        if case .loggedIn(let s) = self.phase { return s.type }
        return .ascii
    }

    package var isClosed: Bool {
        if case .closed = self.phase { return true }
        return false
    }

    var isTransferring: Bool {
        if case .loggedIn(let s) = self.phase, case .transferring = s.activity { return true }
        return false
    }

    /// Nothing is running or held: the idle timeout applies.
    var isQuiet: Bool {
        switch self.phase {
        case .loggedOut: true
        case .loggedIn(let s): s.activity == .idle
        case .awaitingAdmission, .authenticating, .loginHeld, .closed: false
        }
    }

    // MARK: - Admission and lines

    package func greeting() -> Action { .reply(FTPReply(220, self.configuration.banner)) }

    /// The server admitted the connection: greet the client. Lines that came early are answered after this, by
    /// ``nextQueuedAction()``.
    package mutating func admitted(clientAddress: String, passiveAddress: String?, now: NIODeadline) -> Action {
        guard self.phase == .awaitingAdmission else { return .none }
        self.clientAddress = IPAddressText.canonical(clientAddress)
        self.passiveAddress = passiveAddress
        self.lastActivity = now
        self.phase = .loggedOut(.init())
        return self.greeting()
    }

    /// A control line arrived at `now`: answered at once, or queued until the session can.
    package mutating func lineReceived(_ line: FTPControlLine, now: NIODeadline) -> Action {
        self.lastActivity = now
        let parsed: Result<FTPCommand, FTPCommandParseError>
        switch line {
        case .tooLong: parsed = .failure(.tooLong)
        case .line(let bytes): parsed = FTPCommandParser.parse(bytes.readableBytesView)
        }
        guard self.queue.isEmpty, self.writable else { return self.enqueue(parsed) }
        return self.handle(parsed)
    }

    /// The next queued command's action, when the session can answer it now; `nil` when nothing can go yet.
    package mutating func nextQueuedAction() -> Action? {
        guard !self.queue.isEmpty, self.writable, self.isQuiet else { return nil }
        return self.handle(self.queue.removeFirst())
    }

    /// Whether the client reads its replies (the channel's writability).
    package mutating func writabilityChanged(_ writable: Bool) {
        self.writable = writable
    }

    private mutating func handle(_ parsed: Result<FTPCommand, FTPCommandParseError>) -> Action {
        switch parsed {
        case .failure(let error):
            // A bare empty line is common keep-alive noise from some clients; it is answered like any error, in turn.
            if self.isClosed { return .none }
            guard self.isQuiet || self.isTransferring else { return self.enqueue(parsed) }
            return .reply(error.reply)
        case .success(let command):
            return self.commandReceived(command)
        }
    }

    /// Holds a line until the session can answer it; too many end the session.
    mutating func enqueue(_ item: Result<FTPCommand, FTPCommandParseError>) -> Action {
        self.queue.append(item)
        guard self.queue.count > self.configuration.maxQueuedCommands else { return .none }
        if self.phase == .awaitingAdmission {
            return self.close([])  // flooding before the session even started
        }
        return self.close([FTPReply(421, "Too many commands queued; closing.")])
    }

    /// Ends the session with these replies: nothing after them is answered.
    mutating func close(_ replies: [FTPReply]) -> Action {
        self.phase = .closed(user: self.user)
        self.queue = []
        return .close(replies)
    }

    /// The connection closed or the driver ended the session: every later event is ignored.
    package mutating func connectionClosed() {
        self.phase = .closed(user: self.user)
        self.queue = []
    }

    // MARK: - Time and shutdown

    /// The idle timer fired at `now`: a quiet session idle for the whole timeout is closed. Transfers and other
    /// running work keep the session alive.
    package mutating func tick(now: NIODeadline) -> Action {
        guard self.isQuiet, now - self.lastActivity >= TimeAmount(self.configuration.idleTimeout) else { return .none }
        return self.close([FTPReply(421, "Idle timeout; closing control connection.")])
    }

    /// When the idle timer should fire next, asked after ``admitted(clientAddress:passiveAddress:now:)`` and after
    /// each ``tick(now:)``.
    package func nextTick(now: NIODeadline) -> NIODeadline {
        let timeout = TimeAmount(self.configuration.idleTimeout)
        guard self.isQuiet else { return now + timeout }
        return max(self.lastActivity + timeout, now + .milliseconds(1))
    }

    /// The server is shutting down: close now with 421, or after the running transfer has answered.
    package mutating func shutDown() -> Action {
        switch self.phase {
        case .awaitingAdmission, .closed:
            return .none
        case .loggedIn(var s):
            if case .transferring(var running) = s.activity {
                if running.afterwards == .carryOn { running.afterwards = .shutDown }
                s.activity = .transferring(running)
                self.phase = .loggedIn(s)
                return .none
            }
            if case .sendingStatus = s.activity {
                s.activity = .sendingStatus(shutDownAfter: true)
                self.phase = .loggedIn(s)
                return .none
            }
        case .loggedOut, .authenticating, .loginHeld:
            break
        }
        return self.close([FTPReply(421, "Server shutting down.")])
    }

    // MARK: - Login

    package mutating func authenticationCompleted(_ outcome: AuthenticationOutcome) -> Action {
        guard case .authenticating(let a) = self.phase else { return .none }
        switch outcome {
        case .accepted(let user):
            self.phase = .loggedIn(.init(user: user))
            return .reply(FTPReply(230, "User \(a.userName) logged in."))
        case .sessionLimitReached:
            return self.close([FTPReply(421, "Too many sessions for this user; try again later.")])
        case .rejected(let banned):
            let failures = a.failedLogins + 1
            let hold: FTPSessionPhase.LoginHold =
                if banned {
                    .init(failedLogins: failures, reply: FTPReply(421, "Too many failed logins from your address."), closes: true)
                } else if failures >= self.configuration.maxLoginFailures {
                    .init(failedLogins: failures, reply: FTPReply(421, "Too many failed logins, closing connection."), closes: true)
                } else {
                    .init(failedLogins: failures, reply: FTPReply(530, "Login incorrect."), closes: false)
                }
            self.phase = .loginHeld(hold)
            return .rejectLogin(
                user: a.userName, reason: hold.reply.lines.joined(separator: " "), hold: self.configuration.loginFailureDelay)
        }
    }

    /// The failed login's delay is over: its answer goes out.
    package mutating func loginHoldElapsed() -> Action {
        guard case .loginHeld(let hold) = self.phase else { return .none }
        if hold.closes { return self.close([hold.reply]) }
        self.phase = .loggedOut(.init(failedLogins: hold.failedLogins))
        return .reply(hold.reply)
    }

    // MARK: - Data endpoints

    package mutating func passiveListenerOpened(port: Int) -> Action {
        guard case .loggedIn(var s) = self.phase, case .openingPassive(let extended) = s.activity else { return .none }
        s.activity = .idle
        defer { self.phase = .loggedIn(s) }
        let ticket = self.connection.controlSecure && self.connection.protectData
        if extended {
            s.data = .passive(port: port, extended: true)
            return .dataEndpointReady(
                FTPReply(229, "Entering Extended Passive Mode (|||\(port)|)."), closePassiveListener: false, sendTLSTicket: ticket)
        }
        guard let address = self.passiveAddress,
            let tuple = FTPHostPort(host: IPAddressText.canonical(address), port: port).pasvTuple
        else {
            s.data = .none
            return .closeDataEndpoint(FTPReply(425, "PASV needs an IPv4 address; use EPSV."))
        }
        s.data = .passive(port: port, extended: false)
        return .dataEndpointReady(
            FTPReply(227, "Entering Passive Mode (\(tuple))."), closePassiveListener: false, sendTLSTicket: ticket)
    }

    package mutating func passiveListenerFailed(_ reason: String) -> Action {
        guard case .loggedIn(var s) = self.phase, case .openingPassive = s.activity else { return .none }
        s.activity = .idle
        s.data = .none
        self.phase = .loggedIn(s)
        return .reply(FTPReply(425, "Cannot open passive connection: \(reason)."))
    }

    // MARK: - Transfers

    /// The data connection is ready: the preliminary reply to send before data flows.
    package func transferStarting() -> FTPReply {
        guard case .loggedIn(let s) = self.phase, case .transferring(let running) = s.activity else {
            return FTPReply(150, "Opening data connection.")
        }
        let t = running.transfer
        let mode = t.type == .binary ? "BINARY" : "ASCII"
        switch t.kind {
        case .list: return FTPReply(150, "Here comes the directory listing.")
        case .retrieve(_, let offset, _):
            return FTPReply(150, "Opening \(mode) mode data connection for \(t.virtualPath)"
                + (offset > 0 ? ", restarting at \(offset)." : "."))
        case .store, .storeUnique:
            return FTPReply(150, "Ok to send data (\(mode)).")
        }
    }

    package mutating func transferCompleted(_ result: FTPTransferResult) -> Action {
        guard case .loggedIn(var s) = self.phase, case .transferring(let running) = s.activity else { return .none }
        s.activity = .idle
        s.data = .none
        self.phase = .loggedIn(s)
        var replies = Self.replies(for: result, of: running.transfer)
        if running.aborting {
            if case .completed = result {
                replies.append(FTPReply(226, "ABOR successful, no transfer was aborted."))
            } else if case .aborted = result {
                // The 426 and 226 pair is already the answer.
            } else {
                replies.append(FTPReply(226, "ABOR successful."))
            }
        }
        switch running.afterwards {
        case .carryOn: return replies.count == 1 ? .reply(replies[0]) : .replies(replies)
        case .quit: return self.close(replies + [FTPReply(221, "Goodbye.")])
        case .shutDown: return self.close(replies + [FTPReply(421, "Server shutting down.")])
        }
    }

    private static func replies(for result: FTPTransferResult, of transfer: FTPTransfer) -> [FTPReply] {
        switch result {
        case .completed(let bytes, let name):
            if case .storeUnique = transfer.kind, let name {
                return [FTPReply(226, "Transfer complete (\(bytes) bytes); stored as FILE: \(name)")]
            }
            return [FTPReply(226, "Transfer complete (\(bytes) bytes).")]
        case .storageFailed(let error):
            return [error.reply]
        case .dataConnectionFailed(let reason):
            return [FTPReply(425, "Cannot open data connection: \(reason).")]
        case .securityFailure(let reason):
            return [FTPReply(522, "TLS on the data connection failed: \(reason).")]
        case .connectionLost(let bytes):
            return [FTPReply(426, "Connection closed; transfer aborted after \(bytes) bytes.")]
        case .uncleanTLSEnd(let bytes):
            return [FTPReply(426, "Upload not stored: its TLS connection ended without close_notify, so it may be cut short (\(bytes) bytes received).")]
        case .aborted(let bytes):
            return [FTPReply(426, "Transfer aborted after \(bytes) bytes."), FTPReply(226, "ABOR successful.")]
        case .localError(let error, _):
            let code = switch error.code {
            case .insufficientSpace: 452
            case .quotaExceeded: 552
            default: 451
            }
            return [FTPReply(code, "Transfer failed: \(error.message).")]
        }
    }
}
