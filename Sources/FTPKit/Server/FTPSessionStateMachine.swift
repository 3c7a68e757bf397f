import Foundation

/// The protocol logic of one FTP control connection, without I/O.
///
/// The driver feeds it events (a command line, the result of an authentication, a storage operation or a transfer)
/// and carries out the ``Action`` each returns. Everything the session remembers lives here: login state, current
/// directory, TYPE, REST offset, a pending RNFR, the data-connection setup and the transfer in progress.
public struct FTPSessionStateMachine: Sendable {
    public enum Action: Sendable, Hashable {
        case none
        case reply(FTPReply)
        case replies([FTPReply])
        /// Send these replies, then close the control connection.
        case close([FTPReply])
        /// Check these credentials with the authenticator, then call ``authenticationCompleted(_:)``.
        case authenticate(user: String, password: String)
        /// A failed login: wait the configured delay (and record the failure for the client's address), then send
        /// the reply; close afterwards when `close` is set.
        case rejectLogin(FTPReply, close: Bool)
        /// Open a passive listener (closing any previous one), then call ``passiveListenerOpened(port:)`` or
        /// ``passiveListenerFailed(_:)``.
        case openPassiveListener
        /// Close the passive listener, if any, and send the reply.
        case closeDataEndpoint(FTPReply)
        /// A data endpoint is set up and the reply tells the client so (227/229 after PASV/EPSV, 200 after PORT/EPRT):
        /// the client connects or waits for a connection next. With `closePassiveListener` (active mode) the passive
        /// listener, if any, is closed first. Over TLS the driver sends a fresh session ticket ahead of this reply.
        case dataEndpointReady(FTPReply, closePassiveListener: Bool)
        case fileOperation(FTPFileOperation)
        /// Run a transfer: open the storage handle, get the data connection, call ``transferStarting()`` for the
        /// preliminary reply, move the data, then call ``transferCompleted(_:)``.
        case transfer(FTPTransfer)
        /// ABOR during a transfer: stop it; its completion will answer.
        case abortTransfer
        /// The command arrived while the session was busy: hand it back after the current step completes.
        case deferCommand(FTPCommand)
        /// Reset to a fresh session (REIN) and send the reply.
        case reinitialize(FTPReply)
        /// Send the reply in clear text, then start TLS on the control connection (AUTH TLS).
        case startTLS(FTPReply)
    }

    enum Login: Sendable, Hashable {
        case awaitingUser
        case awaitingPassword(String)
        case authenticating(String)
        case loggedIn(FTPUser)
    }

    enum Busy: Sendable, Hashable {
        case idle
        case authenticating
        case fileOperation
        case openingPassive
        case transferring(FTPTransfer, quitAfter: Bool, aborting: Bool)
    }

    enum DataSetup: Sendable, Hashable {
        case none
        case passive(port: Int, extended: Bool)
        case active(FTPHostPort)
    }

    public let configuration: FTPSessionConfiguration
    /// The client's IP address (after any PROXY header), for the bounce check.
    public let clientAddress: String
    /// The address advertised in 227 replies; the driver fills it from configuration or the local address.
    public var passiveAddress: String?

    private(set) var login: Login = .awaitingUser
    private(set) var busy: Busy = .idle
    private(set) var data: DataSetup = .none
    private var pendingPassiveExtended = false
    public private(set) var directory: FTPPath = .root
    public private(set) var type: FTPDataType = .ascii
    private(set) var restartOffset: UInt64?
    private(set) var range: ClosedRange<UInt64>?
    private(set) var renameFrom: (storage: FTPPath, display: FTPPath)?
    private(set) var failedLogins = 0
    private(set) var extendedPassiveOnly = false
    private(set) var hashAlgorithm: FTPHashAlgorithm = .sha256
    private(set) var machineFacts: [MachineListFact] = MachineListFact.allCases
    /// TLS state of the control connection and the PBSZ/PROT settings (RFC 4217).
    public private(set) var controlSecure: Bool
    private(set) var protectionBufferSet = false
    /// PROT P: data connections use TLS.
    public private(set) var protectData = false

    public init(
        configuration: FTPSessionConfiguration, clientAddress: String, passiveAddress: String? = nil,
        implicitTLS: Bool = false
    ) {
        self.configuration = configuration
        self.clientAddress = IPAddressText.canonical(clientAddress)
        self.passiveAddress = passiveAddress
        self.controlSecure = implicitTLS
    }

    public var user: FTPUser? {
        if case .loggedIn(let u) = self.login { return u }
        return nil
    }

    public var isTransferring: Bool {
        if case .transferring = self.busy { return true }
        return false
    }

    public var isIdle: Bool { self.busy == .idle }

    // MARK: - Events

    public func greeting() -> Action { .reply(FTPReply(220, self.configuration.banner)) }

    public mutating func commandReceived(_ command: FTPCommand) -> Action {
        switch self.busy {
        case .idle:
            break
        case .transferring(let transfer, let quitAfter, let aborting):
            switch command.verb {
            case "ABOR":
                if aborting { return .none }
                self.busy = .transferring(transfer, quitAfter: quitAfter, aborting: true)
                return .abortTransfer
            case "STAT" where command.argument.isEmpty:
                return .reply(FTPReply(213, lines: self.statusLines() + ["Transfer in progress.", "End of status."]))
            case "QUIT":
                self.busy = .transferring(transfer, quitAfter: true, aborting: aborting)
                return .none
            default:
                // Everything else (NOOP included) waits for the transfer, so replies stay in command order.
                return .deferCommand(command)
            }
        default:
            return .deferCommand(command)
        }

        // REST and RANG apply to the next command only; RNFR must be followed directly by RNTO.
        // Data-connection setup and TYPE may sit between REST and its transfer (ftplib sends PORT after REST).
        let restart = self.restartOffset
        let range = self.range
        if !Self.keepsRestartMarker.contains(command.verb) {
            self.restartOffset = nil
            self.range = nil
        }
        let rename = self.renameFrom
        self.renameFrom = nil

        switch command.verb {
        case "USER": return self.user(command.argument)
        case "PASS": return self.pass(command.argument)
        case "QUIT": return .close([FTPReply(221, "Goodbye.")])
        case "NOOP": return .reply(FTPReply(200, "NOOP ok."))
        case "SYST": return .reply(FTPReply(215, self.configuration.systemName))
        case "FEAT": return .reply(self.features())
        case "HELP": return self.help(command.argument)
        case "OPTS": return self.opts(command.argument)
        case "ACCT": return .reply(self.user == nil ? FTPReply(503, "Login with USER first.") : FTPReply(202, "ACCT not needed."))
        case "AUTH", "PBSZ", "PROT", "CCC", "ADAT", "MIC", "CONF", "ENC":
            return self.security(command)
        case "HOST":
            if self.user != nil { return .reply(FTPReply(503, "HOST must come before login.")) }
            return .reply(FTPReply(220, "Host accepted."))
        default: break
        }

        guard let user = self.user else {
            if Self.knownVerbs.contains(command.verb) {
                return .reply(FTPReply(530, "Please login with USER and PASS."))
            }
            return .reply(FTPReply(500, "Unknown command '\(command.verb)'."))
        }
        return self.loggedInCommand(command, user: user, restart: restart, range: range, rename: rename)
    }

    public mutating func authenticationCompleted(_ user: FTPUser?) -> Action {
        guard case .authenticating(let name) = self.login else { return .none }
        self.busy = .idle
        if let user {
            self.login = .loggedIn(user)
            self.failedLogins = 0
            self.directory = .root
            return .reply(FTPReply(230, "User \(name) logged in."))
        }
        self.login = .awaitingUser
        self.failedLogins += 1
        if self.failedLogins >= self.configuration.maxLoginFailures {
            return .rejectLogin(FTPReply(421, "Too many failed logins, closing connection."), close: true)
        }
        return .rejectLogin(FTPReply(530, "Login incorrect."), close: false)
    }

    public mutating func passiveListenerOpened(port: Int) -> Action {
        guard self.busy == .openingPassive else { return .none }
        self.busy = .idle
        let extended = self.pendingPassiveExtended
        self.data = .passive(port: port, extended: extended)
        if extended {
            return .dataEndpointReady(FTPReply(229, "Entering Extended Passive Mode (|||\(port)|)."), closePassiveListener: false)
        }
        guard let address = self.passiveAddress,
            let tuple = FTPHostPort(host: IPAddressText.canonical(address), port: port).pasvTuple
        else {
            self.data = .none
            return .closeDataEndpoint(FTPReply(425, "PASV needs an IPv4 address; use EPSV."))
        }
        return .dataEndpointReady(FTPReply(227, "Entering Passive Mode (\(tuple))."), closePassiveListener: false)
    }

    public mutating func passiveListenerFailed(_ reason: String) -> Action {
        guard self.busy == .openingPassive else { return .none }
        self.busy = .idle
        self.data = .none
        return .reply(FTPReply(425, "Cannot open passive connection: \(reason)."))
    }

    public mutating func fileOperationCompleted(_ operation: FTPFileOperation, _ result: FTPFileOperationResult) -> Action {
        guard self.busy == .fileOperation else { return .none }
        self.busy = .idle
        if case .failed(let error) = result {
            return .reply(error.reply)
        }
        switch operation {
        case .changeDirectory(_, let display):
            guard case .info(let info) = result, info.kind == .directory else {
                return .reply(FTPReply(550, "\(display): Not a directory."))
            }
            self.directory = display
            return .reply(FTPReply(250, "Directory changed to \(display)."))
        case .delete(_, let display):
            return .reply(FTPReply(250, "Deleted \(display)."))
        case .makeDirectory(_, let display):
            return .reply(FTPReply(257, "\(display.quoted) created."))
        case .removeDirectory(_, let display):
            return .reply(FTPReply(250, "Removed directory \(display)."))
        case .renameSource(let storage, let display):
            self.renameFrom = (storage, display)
            return .reply(FTPReply(350, "Ready for RNTO."))
        case .rename(_, _, let display):
            return .reply(FTPReply(250, "Renamed to \(display)."))
        case .size(_, let display):
            guard case .info(let info) = result, info.kind != .directory else {
                return .reply(FTPReply(550, "\(display): not a regular file."))
            }
            return .reply(FTPReply(213, String(info.size)))
        case .modificationTime(_, let display):
            guard case .info(let info) = result, info.kind != .directory else {
                return .reply(FTPReply(550, "\(display): not a regular file."))
            }
            return .reply(FTPReply(213, FTPTimestamp.format(info.modified)))
        case .setModificationTime(_, _, let display, let timestamp):
            return .reply(FTPReply(213, "Modify=\(timestamp); \(display)"))
        case .machineInfo(_, let display, let facts):
            guard case .info(let info) = result else { return .reply(FTPReply(550, "\(display): unavailable.")) }
            let line = FTPListFormatter.facts(
                info, enabled: facts, permissions: self.user?.permissions ?? [], name: display.description)
            return .reply(FTPReply(250, lines: ["Listing \(display)", line, "End."]))
        case .status(_, let display):
            guard case .listing(let entries, let info) = result else {
                return .reply(FTPReply(550, "\(display): unavailable."))
            }
            let now = Date()
            let lines = info.kind == .directory
                ? entries.map { FTPListFormatter.longLine($0, now: now) }
                : [FTPListFormatter.longLine(info, now: now)]
            return .reply(FTPReply(213, lines: ["Status of \(display):"] + lines + ["End of status."]))
        case .hash(_, let display, let algorithm, _):
            guard case .hash(let hex, let first, let last) = result else {
                return .reply(FTPReply(550, "\(display): unavailable."))
            }
            return .reply(FTPReply(213, "\(algorithm.rawValue) \(first)-\(last) \(hex) \(display.name)"))
        case .availableSpace:
            guard case .space(let bytes) = result, let bytes else {
                return .reply(FTPReply(550, "Available space is unknown."))
            }
            return .reply(FTPReply(213, String(bytes)))
        }
    }

    /// The data connection is ready: the preliminary reply to send before data flows.
    public func transferStarting() -> FTPReply {
        guard case .transferring(let t, _, _) = self.busy else { return FTPReply(150, "Opening data connection.") }
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

    public mutating func transferCompleted(_ result: FTPTransferResult) -> Action {
        guard case .transferring(let transfer, let quitAfter, let aborting) = self.busy else { return .none }
        self.busy = .idle
        self.data = .none
        var replies: [FTPReply]
        switch result {
        case .completed(let bytes, let name):
            if case .storeUnique = transfer.kind, let name {
                replies = [FTPReply(226, "Transfer complete (\(bytes) bytes); stored as FILE: \(name)")]
            } else {
                replies = [FTPReply(226, "Transfer complete (\(bytes) bytes).")]
            }
            if aborting { replies.append(FTPReply(226, "ABOR successful, no transfer was aborted.")) }
        case .storageFailed(let error):
            replies = [error.reply]
            if aborting { replies.append(FTPReply(226, "ABOR successful.")) }
        case .dataConnectionFailed(let reason):
            replies = [FTPReply(425, "Cannot open data connection: \(reason).")]
            if aborting { replies.append(FTPReply(226, "ABOR successful.")) }
        case .securityFailure(let reason):
            replies = [FTPReply(522, "TLS on the data connection failed: \(reason).")]
            if aborting { replies.append(FTPReply(226, "ABOR successful.")) }
        case .connectionLost(let bytes):
            replies = [FTPReply(426, "Connection closed; transfer aborted after \(bytes) bytes.")]
            if aborting { replies.append(FTPReply(226, "ABOR successful.")) }
        case .aborted(let bytes):
            replies = [FTPReply(426, "Transfer aborted after \(bytes) bytes."), FTPReply(226, "ABOR successful.")]
        case .localError(let error, _):
            let code = switch error.code {
            case .insufficientSpace: 452
            case .quotaExceeded: 552
            default: 451
            }
            replies = [FTPReply(code, "Transfer failed: \(error.message).")]
            if aborting { replies.append(FTPReply(226, "ABOR successful.")) }
        }
        if quitAfter {
            return .close(replies + [FTPReply(221, "Goodbye.")])
        }
        return replies.count == 1 ? .reply(replies[0]) : .replies(replies)
    }

    // MARK: - Commands

    /// AUTH, PBSZ, PROT and friends (RFC 2228, RFC 4217).
    private mutating func security(_ command: FTPCommand) -> Action {
        guard self.configuration.tlsPolicy != nil else {
            return .reply(FTPReply(502, "TLS is not configured on this server."))
        }
        let arg = command.argument.trimmingSpaces().uppercased()
        switch command.verb {
        case "AUTH":
            guard ["TLS", "TLS-C", "SSL", "TLS-P"].contains(arg) else {
                return .reply(FTPReply(504, "Unknown AUTH mechanism '\(command.argument)'; use TLS."))
            }
            if self.controlSecure { return .reply(FTPReply(503, "Already using TLS.")) }
            if self.user != nil { return .reply(FTPReply(503, "AUTH must come before login.")) }
            self.controlSecure = true
            self.login = .awaitingUser
            return .startTLS(FTPReply(234, "Proceed with TLS negotiation."))
        case "PBSZ":
            guard self.controlSecure else { return .reply(FTPReply(503, "PBSZ needs a TLS control connection (AUTH TLS).")) }
            guard !arg.isEmpty, arg.allSatisfy(\.isASCIIDigit) else { return .reply(FTPReply(501, "PBSZ needs a number.")) }
            self.protectionBufferSet = true
            return .reply(FTPReply(200, "PBSZ=0"))
        case "PROT":
            guard self.controlSecure else { return .reply(FTPReply(503, "PROT needs a TLS control connection (AUTH TLS).")) }
            guard self.protectionBufferSet else { return .reply(FTPReply(503, "PROT needs PBSZ first.")) }
            switch arg {
            case "P":
                self.protectData = true
                return .reply(FTPReply(200, "Data connections will be encrypted."))
            case "C":
                if self.configuration.tlsPolicy == .required {
                    return .reply(FTPReply(534, "This server requires encrypted data connections (PROT P)."))
                }
                self.protectData = false
                return .reply(FTPReply(200, "Data connections will be in clear text."))
            case "S", "E": return .reply(FTPReply(536, "Only PROT C and PROT P are supported."))
            default: return .reply(FTPReply(504, "Unknown protection level '\(command.argument)'."))
            }
        case "CCC":
            return .reply(FTPReply(534, "Clearing the control connection's protection is not allowed."))
        default:
            return .reply(FTPReply(502, "\(command.verb) is not supported."))
        }
    }

    private mutating func user(_ name: String) -> Action {
        if case .loggedIn = self.login { return .reply(FTPReply(530, "Already logged in; use REIN to change user.")) }
        guard !name.isEmpty else { return .reply(FTPReply(501, "USER needs a name.")) }
        let anonymous = Self.anonymousNames.contains(name.lowercased()) && self.configuration.anonymousUser != nil
        if !anonymous, !self.controlSecure, let policy = self.configuration.tlsPolicy, policy != .optional {
            return .reply(FTPReply(530, "This server requires TLS for logins: use AUTH TLS first."))
        }
        self.login = .awaitingPassword(name)
        // Always 331, whether the user exists or not (RFC 2577: no user enumeration).
        if Self.anonymousNames.contains(name.lowercased()), self.configuration.anonymousUser != nil {
            return .reply(FTPReply(331, "Anonymous login ok, send your email address as password."))
        }
        return .reply(FTPReply(331, "Password required for \(name)."))
    }

    private mutating func pass(_ password: String) -> Action {
        switch self.login {
        case .loggedIn: return .reply(FTPReply(503, "Already logged in."))
        case .awaitingUser, .authenticating: return .reply(FTPReply(503, "Login with USER first."))
        case .awaitingPassword(let name):
            if Self.anonymousNames.contains(name.lowercased()), let anonymous = self.configuration.anonymousUser {
                self.login = .loggedIn(anonymous)
                self.directory = .root
                self.failedLogins = 0
                return .reply(FTPReply(230, "Anonymous access granted, restrictions apply."))
            }
            self.login = .authenticating(name)
            self.busy = .authenticating
            return .authenticate(user: name, password: password)
        }
    }

    private func help(_ argument: String) -> Action {
        if !argument.isEmpty {
            let verb = argument.uppercased()
            guard Self.knownVerbs.contains(verb) else { return .reply(FTPReply(502, "Unknown command \(verb).")) }
            return .reply(FTPReply(214, "Syntax: \(verb) \(Self.syntax[verb] ?? "")"))
        }
        var lines = ["The following commands are recognized:"]
        let verbs = Self.knownVerbs.sorted()
        stride(from: 0, to: verbs.count, by: 10).forEach { i in
            lines.append(verbs[i..<min(i + 10, verbs.count)].joined(separator: " "))
        }
        lines.append("Help OK.")
        return .reply(FTPReply(214, lines: lines))
    }

    private func features() -> FTPReply {
        let hashes = FTPHashAlgorithm.allCases.map { $0 == self.hashAlgorithm ? $0.rawValue + "*" : $0.rawValue }
        let facts = MachineListFact.allCases.map { f in
            f.rawValue + (self.machineFacts.contains(f) ? "*;" : ";")
        }.joined()
        return FTPReply(211, lines: [
            "Features:", "AVBL", "EPRT", "EPSV", "HASH \(hashes.joined(separator: ";"))", "HOST", "MDTM", "MFMT",
            "MLST \(facts)", "RANG STREAM", "REST STREAM", "SIZE", "TVFS", "UTF8",
        ] + (self.configuration.tlsPolicy != nil ? ["AUTH TLS", "PBSZ", "PROT"] : []) + ["End"])
    }

    private mutating func opts(_ argument: String) -> Action {
        let parts = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard let name = parts.first?.uppercased() else { return .reply(FTPReply(501, "OPTS needs an argument.")) }
        let value = parts.count > 1 ? parts[1] : ""
        switch name {
        case "UTF8", "UTF-8":
            // Names are always UTF-8 here; ON is the only mode, but OFF is accepted too for old clients.
            return .reply(FTPReply(200, "UTF8 mode is always on."))
        case "MLST":
            var enabled: [MachineListFact] = []
            for f in value.split(separator: ";") {
                if let fact = MachineListFact(rawValue: f.lowercased()) { enabled.append(fact) }
            }
            self.machineFacts = enabled
            return .reply(FTPReply(200, "MLST OPTS " + enabled.map { $0.rawValue + ";" }.joined()))
        case "HASH":
            if value.isEmpty { return .reply(FTPReply(200, self.hashAlgorithm.rawValue)) }
            guard let algorithm = FTPHashAlgorithm(rawValue: value.uppercased()) else {
                return .reply(FTPReply(501, "Unknown algorithm; use one of "
                    + FTPHashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ") + "."))
            }
            self.hashAlgorithm = algorithm
            return .reply(FTPReply(200, algorithm.rawValue))
        default:
            return .reply(FTPReply(501, "Option \(name) not understood."))
        }
    }

    private func storagePath(_ display: FTPPath, _ user: FTPUser) -> FTPPath {
        FTPPath(components: user.root.components + display.components)
    }

    private mutating func loggedInCommand(
        _ command: FTPCommand, user: FTPUser, restart: UInt64?, range: ClosedRange<UInt64>?,
        rename: (storage: FTPPath, display: FTPPath)?
    ) -> Action {
        let arg = command.argument
        func resolve(_ a: String) -> (FTPPath, FTPPath) {
            let display = self.directory.resolving(a)
            return (self.storagePath(display, user), display)
        }
        func needs(_ p: FTPPermissions) -> Action? {
            user.permissions.isSuperset(of: p) ? nil : .reply(FTPReply(550, "Permission denied."))
        }
        func op(_ o: FTPFileOperation) -> Action {
            self.busy = .fileOperation
            return .fileOperation(o)
        }
        let needsPath: Set<String> = ["CWD", "XCWD", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "SIZE", "MDTM",
            "RETR", "STOR", "APPE"]
        if needsPath.contains(command.verb), arg.isEmpty {
            return .reply(FTPReply(501, "\(command.verb) needs a path."))
        }

        switch command.verb {
        case "PWD", "XPWD":
            return .reply(FTPReply(257, "\(self.directory.quoted) is the current directory."))
        case "CWD", "XCWD":
            let (s, d) = resolve(arg)
            return needs(.read) ?? op(.changeDirectory(s, display: d))
        case "CDUP", "XCUP":
            let d = self.directory.parent
            return needs(.read) ?? op(.changeDirectory(self.storagePath(d, user), display: d))
        case "TYPE": return self.setType(arg)
        case "STRU":
            switch arg.uppercased() {
            case "F": return .reply(FTPReply(200, "Structure set to F."))
            case "R", "P": return .reply(FTPReply(504, "Only file structure (F) is supported."))
            default: return .reply(FTPReply(501, "Unknown structure '\(arg)'."))
            }
        case "MODE":
            switch arg.uppercased() {
            case "S": return .reply(FTPReply(200, "Mode set to S."))
            case "B", "C", "Z": return .reply(FTPReply(504, "Only stream mode (S) is supported."))
            default: return .reply(FTPReply(501, "Unknown mode '\(arg)'."))
            }
        case "ALLO": return .reply(FTPReply(202, "No storage allocation necessary."))
        case "REIN":
            // REIN keeps the control connection's TLS (RFC 4217 §11): only the user and settings reset.
            let secure = self.controlSecure
            self = FTPSessionStateMachine(
                configuration: self.configuration, clientAddress: self.clientAddress, passiveAddress: self.passiveAddress,
                implicitTLS: secure)
            return .reinitialize(FTPReply(220, "Session reset; login with USER."))
        case "REST":
            guard let offset = UInt64(arg.trimmingSpaces()), arg.trimmingSpaces().allSatisfy(\.isASCIIDigit) else {
                return .reply(FTPReply(501, "REST needs a byte offset."))
            }
            guard self.type == .binary || offset == 0 else {
                return .reply(FTPReply(504, "REST is only supported in binary mode (TYPE I)."))
            }
            self.restartOffset = offset
            return .reply(FTPReply(350, "Restarting at \(offset). Send STOR or RETR."))
        case "RANG":
            let parts = arg.split(separator: " ")
            guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]) else {
                return .reply(FTPReply(501, "RANG needs a start and an end byte."))
            }
            if first == 1 && last == 0 {
                self.range = nil
                return .reply(FTPReply(350, "Restarting at 0. End byte range at EOF."))
            }
            guard first <= last else { return .reply(FTPReply(501, "RANG start is after its end.")) }
            self.range = first...last
            return .reply(FTPReply(350, "Restarting at \(first). End byte range at \(last)."))
        case "PASV", "EPSV":
            return self.passive(extended: command.verb == "EPSV", argument: arg)
        case "PORT", "EPRT":
            return self.active(command.verb, arg)
        case "RETR":
            if let denied = needs(.read) { return denied }
            let (s, d) = resolve(arg)
            var offset = restart ?? 0
            var length: UInt64?
            if let range {
                offset = range.lowerBound
                length = range.upperBound - range.lowerBound + 1
            }
            self.range = nil
            return self.startTransfer(.retrieve(s, offset: offset, length: length), display: d)
        case "STOR", "APPE":
            if let denied = needs(.write) { return denied }
            let (s, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(553, "Cannot store over a directory.")) }
            let mode: FTPWriteMode = command.verb == "APPE" ? .append : (restart.map { .replaceFrom(offset: $0) } ?? .replace)
            return self.startTransfer(.store(s, mode: mode), display: d)
        case "STOU":
            if let denied = needs(.write) { return denied }
            let d = self.directory
            return self.startTransfer(.storeUnique(directory: self.storagePath(d, user)), display: d)
        case "LIST", "NLST", "MLSD":
            if let denied = needs(.read) { return denied }
            // `ls` options such as "-la" are accepted and ignored, as vsftpd and pyftpdlib do.
            let pathArg = command.verb == "MLSD" ? arg : Self.stripListOptions(arg)
            let (s, d) = resolve(pathArg)
            let format: FTPTransfer.ListFormat = switch command.verb {
            case "LIST": .long
            case "NLST": .names
            default: .machine(self.machineFacts)
            }
            return self.startTransfer(.list(s, format: format), display: d)
        case "MLST":
            if let denied = needs(.read) { return denied }
            let (s, d) = resolve(arg)
            return op(.machineInfo(s, display: d, facts: self.machineFacts))
        case "DELE":
            let (s, d) = resolve(arg)
            return needs(.delete) ?? op(.delete(s, display: d))
        case "MKD", "XMKD":
            let (s, d) = resolve(arg)
            return needs(.makeDirectory) ?? op(.makeDirectory(s, display: d))
        case "RMD", "XRMD":
            let (s, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(550, "Cannot remove the root directory.")) }
            return needs(.delete) ?? op(.removeDirectory(s, display: d))
        case "RNFR":
            let (s, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(550, "Cannot rename the root directory.")) }
            return needs(.rename) ?? op(.renameSource(s, display: d))
        case "RNTO":
            guard let rename else { return .reply(FTPReply(503, "RNFR required first.")) }
            let (s, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(553, "Cannot rename onto the root directory.")) }
            return needs(.rename) ?? op(.rename(from: rename.storage, to: s, display: d))
        case "SIZE":
            if let denied = needs(.read) { return denied }
            guard self.type == .binary else {
                return .reply(FTPReply(550, "SIZE is not allowed in ASCII mode; use TYPE I."))
            }
            let (s, d) = resolve(arg)
            return op(.size(s, display: d))
        case "MDTM":
            if let denied = needs(.read) { return denied }
            let (s, d) = resolve(arg)
            return op(.modificationTime(s, display: d))
        case "MFMT":
            if let denied = needs(.write) { return denied }
            let parts = arg.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, let date = FTPTimestamp.parse(parts[0]) else {
                return .reply(FTPReply(501, "Usage: MFMT YYYYMMDDHHMMSS path."))
            }
            let (s, d) = resolve(parts[1])
            return op(.setModificationTime(s, date, display: d, timestamp: parts[0]))
        case "HASH":
            if let denied = needs(.read) { return denied }
            guard !arg.isEmpty else { return .reply(FTPReply(501, "HASH needs a path.")) }
            let (s, d) = resolve(arg)
            self.range = nil
            return op(.hash(s, display: d, algorithm: self.hashAlgorithm, range: range))
        case "AVBL":
            let (s, _) = resolve(arg.isEmpty ? "." : arg)
            return op(.availableSpace(s))
        case "STAT":
            if arg.isEmpty {
                return .reply(FTPReply(211, lines: self.statusLines() + ["End of status."]))
            }
            if let denied = needs(.read) { return denied }
            let (s, d) = resolve(Self.stripListOptions(arg))
            return op(.status(s, display: d))
        case "SITE":
            let sub = arg.split(separator: " ").first.map { $0.uppercased() } ?? ""
            if sub == "HELP" { return .reply(FTPReply(214, lines: ["SITE commands: HELP", "End."])) }
            return .reply(FTPReply(504, sub.isEmpty ? "SITE needs a subcommand." : "SITE \(sub) is not supported."))
        case "ABOR":
            // No transfer is running (a running one is handled above): close any data setup, per RFC 959.
            if self.data != .none {
                self.data = .none
                return .closeDataEndpoint(FTPReply(225, "Data connection closed; no transfer in progress."))
            }
            return .reply(FTPReply(225, "No transfer to abort."))
        case "SMNT":
            return .reply(FTPReply(502, "SMNT is not supported."))
        default:
            return .reply(FTPReply(500, "Unknown command '\(command.verb)'."))
        }
    }

    private mutating func setType(_ arg: String) -> Action {
        let parts = arg.uppercased().split(separator: " ")
        switch parts.first {
        case "I":
            guard parts.count == 1 else { return .reply(FTPReply(501, "TYPE I takes no format.")) }
            self.type = .binary
            return .reply(FTPReply(200, "Type set to I."))
        case "L":
            guard parts.count == 2, parts[1] == "8" else { return .reply(FTPReply(504, "Only byte size 8 is supported.")) }
            self.type = .binary
            return .reply(FTPReply(200, "Type set to L 8."))
        case "A":
            guard parts.count == 1 || parts[1] == "N" else {
                return .reply(FTPReply(504, "Only non-print format (N) is supported."))
            }
            self.type = .ascii
            return .reply(FTPReply(200, "Type set to A."))
        case "E": return .reply(FTPReply(504, "EBCDIC is not supported."))
        case .none: return .reply(FTPReply(501, "TYPE needs an argument."))
        default: return .reply(FTPReply(501, "Unknown type '\(arg)'."))
        }
    }

    private mutating func passive(extended: Bool, argument: String) -> Action {
        if !extended, self.extendedPassiveOnly {
            return .reply(FTPReply(501, "PASV not allowed after EPSV ALL."))
        }
        if extended {
            let a = argument.trimmingSpaces().uppercased()
            if a == "ALL" {
                self.extendedPassiveOnly = true
                return .reply(FTPReply(200, "EPSV ALL ok."))
            }
            if !a.isEmpty {
                let family = self.clientAddress.contains(":") ? "2" : "1"
                guard a == "1" || a == "2" else { return .reply(FTPReply(501, "Unknown network protocol.")) }
                guard a == family else { return .reply(FTPReply(522, "Network protocol not supported, use (\(family)).")) }
            }
        }
        self.pendingPassiveExtended = extended
        self.busy = .openingPassive
        return .openPassiveListener
    }

    private mutating func active(_ verb: String, _ arg: String) -> Action {
        if self.extendedPassiveOnly { return .reply(FTPReply(501, "\(verb) not allowed after EPSV ALL.")) }
        guard self.configuration.allowActiveMode else {
            return .reply(FTPReply(502, "Active mode is disabled; use PASV or EPSV."))
        }
        let parsed = verb == "PORT" ? FTPHostPort.parsePORT(arg) : FTPHostPort.parseEPRT(arg)
        guard let target = parsed else {
            if verb == "EPRT", arg.hasPrefix("|"), !arg.hasPrefix("|1|"), !arg.hasPrefix("|2|") {
                return .reply(FTPReply(522, "Network protocol not supported, use (1,2)."))
            }
            return .reply(FTPReply(501, "Syntax error in \(verb) arguments."))
        }
        // FTP bounce protection (RFC 2577): only the client's own address, never a privileged port.
        guard IPAddressText.canonical(target.host) == self.clientAddress else {
            return .reply(FTPReply(504, "\(verb) refused: the address must be the client's own."))
        }
        guard target.port >= 1024 else {
            return .reply(FTPReply(504, "\(verb) refused: privileged port."))
        }
        self.data = .active(target)
        return .dataEndpointReady(FTPReply(200, "\(verb) command successful. Consider using EPSV."), closePassiveListener: true)
    }

    private mutating func startTransfer(_ kind: FTPTransfer.Kind, display: FTPPath) -> Action {
        let endpoint: FTPDataEndpoint
        switch self.data {
        case .none: return .reply(FTPReply(425, "Use PORT, EPRT, PASV or EPSV first."))
        case .passive: endpoint = .passive
        case .active(let target): endpoint = .active(target)
        }
        if self.configuration.tlsPolicy == .required, !self.protectData, self.user?.name != self.configuration.anonymousUser?.name {
            return .reply(FTPReply(521, "Data connections must be encrypted: use PBSZ 0 and PROT P."))
        }
        var transfer = FTPTransfer(kind: kind, virtualPath: display, type: self.type, endpoint: endpoint)
        transfer.secure = self.protectData
        self.busy = .transferring(transfer, quitAfter: false, aborting: false)
        return .transfer(transfer)
    }

    private func statusLines() -> [String] {
        var lines = ["Seed FTP server status:", "Connected from \(self.clientAddress)"]
        if let user = self.user { lines.append("Logged in as \(user.name)") } else { lines.append("Not logged in") }
        lines.append("TYPE: \(self.type == .binary ? "BINARY" : "ASCII"), STRUcture: File, MODE: Stream")
        switch self.data {
        case .none: lines.append("No data connection")
        case .passive(let port, _): lines.append("Passive mode on port \(port)")
        case .active(let t): lines.append("Active mode to \(t)")
        }
        return lines
    }

    static func stripListOptions(_ arg: String) -> String {
        var rest = Substring(arg)
        while rest.hasPrefix("-") {
            guard let space = rest.firstIndex(of: " ") else { return "" }
            rest = rest[rest.index(after: space)...].drop(while: { $0 == " " })
        }
        return String(rest)
    }

    static let anonymousNames: Set<String> = ["anonymous", "ftp"]
    static let keepsRestartMarker: Set<String> = ["PASV", "EPSV", "PORT", "EPRT", "TYPE", "NOOP"]

    static let syntax: [String: String] = [
        "USER": "<name>", "PASS": "<password>", "CWD": "<path>", "RETR": "<path>", "STOR": "<path>",
        "PORT": "<h1,h2,h3,h4,p1,p2>", "EPRT": "|<proto>|<address>|<port>|", "TYPE": "{A|I|L 8}",
        "REST": "<offset>", "MFMT": "<YYYYMMDDHHMMSS> <path>", "HASH": "<path>", "RANG": "<start> <end>",
    ]

    static let knownVerbs: Set<String> = [
        "ABOR", "ACCT", "ALLO", "APPE", "AVBL", "CDUP", "CWD", "DELE", "EPRT", "EPSV", "FEAT", "HASH", "HELP", "HOST",
        "LIST", "MDTM", "MFMT", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV", "PORT", "PWD",
        "QUIT", "RANG", "REIN", "REST", "RETR", "RMD", "RNFR", "RNTO", "SITE", "SIZE", "SMNT", "STAT", "STOR", "STOU",
        "STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
    ]
}
