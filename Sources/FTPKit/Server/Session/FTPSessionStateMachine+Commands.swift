extension FTPSessionStateMachine {
    /// A command: answered now, or queued while the session is busy. During a transfer ABOR, STAT and QUIT act at
    /// once; everything else (NOOP included) waits for it, so replies stay in command order.
    package mutating func commandReceived(_ command: FTPCommand) -> Action {
        switch self.phase {
        case .closed:
            return .none
        case .awaitingAdmission, .authenticating, .loginHeld:
            return self.enqueue(.success(command))
        case .loggedIn(var s) where s.activity != .idle:
            if case .transferring(let running) = s.activity, command.known?.interruptsTransfer == true,
                let action = self.interrupt(running, with: command, s)
            {
                return action
            }
            // ABOR stops a HASH as it stops a transfer (RFC 959: it aborts "the previous FTP service command").
            if case .hashing(let aborting) = s.activity, command.known == .abor {
                if aborting { return .none }
                s.activity = .hashing(aborting: true)
                self.phase = .loggedIn(s)
                return .abortFileOperation
            }
            return self.enqueue(.success(command))
        case .loggedOut, .loggedIn:
            break
        }
        if Self.looksLikeHTTP(command) { return self.close([FTPReply(421, "This is an FTP server, not HTTP.")]) }
        if case .loggedIn = self.phase { return self.loggedInCommand(command) }
        return self.loggedOutCommand(command)
    }

    /// ABOR, QUIT or a bare STAT during a transfer; `nil` for what waits after all (STAT with a path).
    private mutating func interrupt(
        _ running: FTPSessionPhase.RunningTransfer, with command: FTPCommand, _ s: FTPSessionPhase.LoggedIn
    ) -> Action? {
        var running = running
        var s = s
        let action: Action
        switch command.known {
        case .abor:
            if running.aborting { return Action.none }
            running.aborting = true
            action = .abortTransfer
        case .quit:
            running.afterwards = .quit
            action = .none
        default:  // STAT
            guard command.argument.isEmpty else { return nil }
            return .reply(FTPReply(213, lines: self.statusLines() + ["Transfer in progress.", "End of status."]))
        }
        s.activity = .transferring(running)
        self.phase = .loggedIn(s)
        return action
    }

    // MARK: - Before login

    /// Commands answered the same before and after login.
    private mutating func anytimeCommand(_ command: FTPCommand, _ verb: FTPVerb) -> Action? {
        switch verb {
        case .quit: return self.close([FTPReply(221, "Goodbye.")])
        case .noop: return .reply(FTPReply(200, "NOOP ok."))
        case .syst: return .reply(FTPReply(215, self.configuration.systemName))
        case .feat: return .reply(self.features())
        case .help: return self.help(command.argument)
        case .opts: return self.opts(command.argument)
        case .acct: return .reply(self.user == nil ? FTPReply(503, "Login with USER first.") : FTPReply(202, "ACCT not needed."))
        case .host:
            if self.user != nil { return .reply(FTPReply(503, "HOST must come before login.")) }
            return .reply(FTPReply(220, "Host accepted."))
        case _ where verb.isSecurity: return self.security(command, verb)
        default: return nil
        }
    }

    private mutating func loggedOutCommand(_ command: FTPCommand) -> Action {
        guard case .loggedOut(var s) = self.phase else { return .none }
        guard let verb = command.known else { return .reply(FTPReply(500, "Unknown command '\(command.verb)'.")) }
        switch verb {
        case .user:
            let name = command.argument
            guard !name.isEmpty else { return .reply(FTPReply(501, "USER needs a name.")) }
            let anonymous = FTPUser.anonymousNames.contains(name.lowercased()) && self.configuration.anonymousUser != nil
            if !anonymous, !self.connection.controlSecure, let policy = self.configuration.tlsPolicy, policy != .optional {
                return .reply(FTPReply(530, "This server requires TLS for logins: use AUTH TLS first."))
            }
            s.userName = name
            self.phase = .loggedOut(s)
            // Always 331, whether the user exists or not (RFC 2577: no user enumeration).
            if anonymous { return .reply(FTPReply(331, "Anonymous login ok, send your email address as password.")) }
            return .reply(FTPReply(331, "Password required for \(name)."))
        case .pass:
            guard let name = s.userName else { return .reply(FTPReply(503, "Login with USER first.")) }
            if FTPUser.anonymousNames.contains(name.lowercased()), let anonymous = self.configuration.anonymousUser {
                self.phase = .loggedIn(.init(user: anonymous))
                return .reply(FTPReply(230, "Anonymous access granted, restrictions apply."))
            }
            self.phase = .authenticating(.init(userName: name, failedLogins: s.failedLogins))
            return .authenticate(user: name, password: command.argument)
        default:
            if let action = self.anytimeCommand(command, verb) { return action }
            return .reply(FTPReply(530, "Please login with USER and PASS."))
        }
    }

    // MARK: - Logged in

    private mutating func loggedInCommand(_ command: FTPCommand) -> Action {
        guard case .loggedIn(var s) = self.phase else { return .none }
        guard let verb = command.known else { return .reply(FTPReply(500, "Unknown command '\(command.verb)'.")) }
        // REST and RANG apply to the next command only (data setup, TYPE and NOOP may come between); RNFR must be
        // followed directly by RNTO.
        let restart = s.restartOffset
        let range = s.range
        if !verb.keepsRestartMarker {
            s.restartOffset = nil
            s.range = nil
        }
        let rename = s.renameFrom
        s.renameFrom = nil
        self.phase = .loggedIn(s)
        switch verb {
        case .user: return .reply(FTPReply(530, "Already logged in; use REIN to change user."))
        case .pass: return .reply(FTPReply(503, "Already logged in."))
        default: break
        }
        if let action = self.anytimeCommand(command, verb) { return action }
        let action = self.userCommand(command, verb.canonical, &s, restart: restart, range: range, rename: rename)
        if case .loggedIn = self.phase { self.phase = .loggedIn(s) }
        return action
    }

    private mutating func userCommand(
        _ command: FTPCommand, _ verb: FTPVerb, _ s: inout FTPSessionPhase.LoggedIn, restart: UInt64?,
        range: ClosedRange<UInt64>?, rename: FTPSessionPhase.RenameSource?
    ) -> Action {
        let arg = command.argument
        let user = s.user
        let directory = s.directory
        func resolve(_ a: String) -> (FTPPath, FTPPath) {
            let display = directory.resolving(a)
            return (Self.storagePath(display, user), display)
        }
        func needs(_ p: FTPPermissions) -> Action? {
            user.permissions.isSuperset(of: p) ? nil : .reply(FTPReply(550, "Permission denied."))
        }
        func op(_ o: FTPFileOperation, _ s: inout FTPSessionPhase.LoggedIn) -> Action {
            if case .hash = o { s.activity = .hashing(aborting: false) } else { s.activity = .fileOperation }
            return .fileOperation(o)
        }
        if verb.needsPath, arg.isEmpty {
            return .reply(FTPReply(501, "\(command.verb) needs a path."))
        }

        switch verb {
        case .pwd:
            return .reply(FTPReply(257, "\(directory.quoted) is the current directory."))
        case .cwd:
            let (st, d) = resolve(arg)
            return needs(.read) ?? op(.changeDirectory(st, display: d), &s)
        case .cdup:
            let d = directory.parent
            return needs(.read) ?? op(.changeDirectory(Self.storagePath(d, user), display: d), &s)
        case .type: return Self.setType(arg, &s)
        case .stru:
            switch arg.uppercased() {
            case "F": return .reply(FTPReply(200, "Structure set to F."))
            case "R", "P": return .reply(FTPReply(504, "Only file structure (F) is supported."))
            default: return .reply(FTPReply(501, "Unknown structure '\(arg)'."))
            }
        case .mode:
            switch arg.uppercased() {
            case "S": return .reply(FTPReply(200, "Mode set to S."))
            case "B", "C", "Z": return .reply(FTPReply(504, "Only stream mode (S) is supported."))
            default: return .reply(FTPReply(501, "Unknown mode '\(arg)'."))
            }
        case .allo: return .reply(FTPReply(202, "No storage allocation necessary."))
        case .rein:
            // REIN keeps the control connection's TLS (RFC 4217 §11): only the user and settings reset.
            self.connection = Connection(controlSecure: self.connection.controlSecure)
            self.phase = .loggedOut(.init())
            return .reinitialize(FTPReply(220, "Session reset; login with USER."), loggedOutUser: user.name)
        case .rest:
            let text = arg.trimmingSpaces()
            guard let offset = UInt64(text), text.allSatisfy(\.isASCIIDigit) else {
                return .reply(FTPReply(501, "REST needs a byte offset."))
            }
            guard s.type == .binary || offset == 0 else {
                return .reply(FTPReply(504, "REST is only supported in binary mode (TYPE I)."))
            }
            s.restartOffset = offset
            return .reply(FTPReply(350, "Restarting at \(offset). Send STOR or RETR."))
        case .rang:
            let parts = arg.split(separator: " ")
            guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]) else {
                return .reply(FTPReply(501, "RANG needs a start and an end byte."))
            }
            if first == 1 && last == 0 {
                s.range = nil
                return .reply(FTPReply(350, "Restarting at 0. End byte range at EOF."))
            }
            guard first <= last else { return .reply(FTPReply(501, "RANG start is after its end.")) }
            s.range = first...last
            return .reply(FTPReply(350, "Restarting at \(first). End byte range at \(last)."))
        case .pasv, .epsv:
            return self.passive(extended: verb == .epsv, argument: arg, &s)
        case .port, .eprt:
            return self.active(verb, arg, &s)
        case .retr:
            if let denied = needs(.read) { return denied }
            let (st, d) = resolve(arg)
            var offset = restart ?? 0
            var length: UInt64?
            if let range {
                offset = range.lowerBound
                length = range.upperBound - range.lowerBound + 1
            }
            return self.startTransfer(.retrieve(st, offset: offset, length: length), display: d, &s)
        case .stor, .appe:
            if let denied = needs(.write) { return denied }
            let (st, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(553, "Cannot store over a directory.")) }
            let mode: FTPWriteMode = verb == .appe ? .append : (restart.map { .replaceFrom(offset: $0) } ?? .replace)
            return self.startTransfer(.store(st, mode: mode), display: d, &s)
        case .stou:
            if let denied = needs(.write) { return denied }
            return self.startTransfer(.storeUnique(directory: Self.storagePath(directory, user)), display: directory, &s)
        case .list, .nlst, .mlsd:
            if let denied = needs(.read) { return denied }
            // `ls` options such as "-la" are accepted and ignored, as vsftpd and pyftpdlib do.
            let argument = verb == .mlsd ? arg : Self.stripListOptions(arg)
            let (st, d) = resolve(argument)
            let format: FTPTransfer.ListFormat = switch verb {
            case .list: .long
            case .nlst: .names(typedDirectory: Self.typedDirectory(argument))
            default: .machine(self.connection.machineFacts)
            }
            return self.startTransfer(.list(st, format: format), display: d, &s)
        case .mlst:
            if let denied = needs(.read) { return denied }
            let (st, d) = resolve(arg)
            return op(.machineInfo(st, display: d, facts: self.connection.machineFacts), &s)
        case .dele:
            let (st, d) = resolve(arg)
            return needs(.delete) ?? op(.delete(st, display: d), &s)
        case .mkd:
            let (st, d) = resolve(arg)
            return needs(.makeDirectory) ?? op(.makeDirectory(st, display: d), &s)
        case .rmd:
            let (st, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(550, "Cannot remove the root directory.")) }
            return needs(.delete) ?? op(.removeDirectory(st, display: d), &s)
        case .rnfr:
            let (st, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(550, "Cannot rename the root directory.")) }
            return needs(.rename) ?? op(.renameSource(st, display: d), &s)
        case .rnto:
            guard let rename else { return .reply(FTPReply(503, "RNFR required first.")) }
            let (st, d) = resolve(arg)
            if d.isRoot { return .reply(FTPReply(553, "Cannot rename onto the root directory.")) }
            return needs(.rename) ?? op(.rename(from: rename.storage, to: st, fromDisplay: rename.display, display: d), &s)
        case .size:
            if let denied = needs(.read) { return denied }
            guard s.type == .binary else {
                return .reply(FTPReply(550, "SIZE is not allowed in ASCII mode; use TYPE I."))
            }
            let (st, d) = resolve(arg)
            return op(.size(st, display: d), &s)
        case .mdtm:
            if let denied = needs(.read) { return denied }
            let (st, d) = resolve(arg)
            return op(.modificationTime(st, display: d), &s)
        case .mfmt:
            if let denied = needs(.write) { return denied }
            // On scalars, as SITE CHMOD: a path starting with a combining mark keeps the space before it apart.
            let parts = arg.splitScalars(separator: " ", maxSplits: 1)
            guard parts.count == 2, let date = FTPTimestamp.parse(parts[0], strict: true) else {
                return .reply(FTPReply(501, "Usage: MFMT YYYYMMDDHHMMSS path."))
            }
            let (st, d) = resolve(parts[1])
            return op(.setModificationTime(st, date, display: d, timestamp: parts[0]), &s)
        case .hash:
            if let denied = needs(.read) { return denied }
            guard !arg.isEmpty else { return .reply(FTPReply(501, "HASH needs a path.")) }
            let (st, d) = resolve(arg)
            return op(.hash(st, display: d, algorithm: self.connection.hashAlgorithm, range: range), &s)
        case .avbl:
            let (st, _) = resolve(arg.isEmpty ? "." : arg)
            return op(.availableSpace(st), &s)
        case .stat:
            if arg.isEmpty {
                return .reply(FTPReply(211, lines: self.statusLines() + ["End of status."]))
            }
            if let denied = needs(.read) { return denied }
            let (st, d) = resolve(Self.stripListOptions(arg))
            return op(.status(st, display: d), &s)
        case .site:
            // Split on scalars: a path that starts with a combining mark would fold the space before it into one
            // Character, and the command would lose its path.
            let words = arg.splitScalars(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            let sub = words.first?.uppercased() ?? ""
            switch sub {
            case "HELP":
                return .reply(FTPReply(214, lines: ["SITE commands: CHMOD HELP", "End."]))
            case "CHMOD":
                // As vsftpd and pyftpdlib take it (lftp's mirror, FileZilla): SITE CHMOD 644 path with spaces.
                guard words.count == 3, !words[2].isEmpty, let mode = Self.permissionBits(words[1]) else {
                    return .reply(FTPReply(501, "Usage: SITE CHMOD MODE PATH, MODE in octal from 000 to 777 (such as 644)."))
                }
                if let denied = needs(.write) { return denied }
                let (st, d) = resolve(words[2])
                if d.isRoot { return .reply(FTPReply(550, "Cannot change the root directory's permissions.")) }
                return op(.setPermissions(st, mode: mode, display: d), &s)
            case "":
                return .reply(FTPReply(501, "SITE needs a subcommand (SITE HELP lists them)."))
            default:
                return .reply(FTPReply(504, "SITE \(sub) is not supported."))
            }
        case .abor:
            // No transfer is running (a running one is handled on arrival): close any data setup, per RFC 959.
            if s.data != .none {
                s.data = .none
                return .closeDataEndpoint(FTPReply(225, "Data connection closed; no transfer in progress."))
            }
            return .reply(FTPReply(225, "No transfer to abort."))
        case .smnt:
            return .reply(FTPReply(502, "SMNT is not supported."))
        default:
            return .reply(FTPReply(500, "Unknown command '\(command.verb)'."))
        }
    }

    /// `644`, `0755`, `7`: octal permission bits. Set-user-ID, set-group-ID and sticky bits (`4755`) are refused: a
    /// file uploaded by an FTP user must never become a set-user-ID program of the account the server runs as.
    static func permissionBits(_ text: String) -> UInt16? {
        guard (1...4).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }),
            let mode = UInt16(text, radix: 8), mode <= 0o777
        else { return nil }
        return mode
    }

    private static func storagePath(_ display: FTPPath, _ user: FTPUser) -> FTPPath {
        FTPPath(components: user.root.components + display.components)
    }

    private static func setType(_ arg: String, _ s: inout FTPSessionPhase.LoggedIn) -> Action {
        let parts = arg.uppercased().split(separator: " ")
        switch parts.first {
        case "I":
            guard parts.count == 1 else { return .reply(FTPReply(501, "TYPE I takes no format.")) }
            s.type = .binary
            return .reply(FTPReply(200, "Type set to I."))
        case "L":
            guard parts.count == 2, parts[1] == "8" else { return .reply(FTPReply(504, "Only byte size 8 is supported.")) }
            s.type = .binary
            return .reply(FTPReply(200, "Type set to L 8."))
        case "A":
            guard parts.count == 1 || parts[1] == "N" else {
                return .reply(FTPReply(504, "Only non-print format (N) is supported."))
            }
            s.type = .ascii
            return .reply(FTPReply(200, "Type set to A."))
        case "E": return .reply(FTPReply(504, "EBCDIC is not supported."))
        case .none: return .reply(FTPReply(501, "TYPE needs an argument."))
        default: return .reply(FTPReply(501, "Unknown type '\(arg)'."))
        }
    }

    private func passive(extended: Bool, argument: String, _ s: inout FTPSessionPhase.LoggedIn) -> Action {
        if !extended, s.extendedPassiveOnly {
            return .reply(FTPReply(501, "PASV not allowed after EPSV ALL."))
        }
        if extended {
            let a = argument.trimmingSpaces().uppercased()
            if a == "ALL" {
                s.extendedPassiveOnly = true
                return .reply(FTPReply(200, "EPSV ALL ok."))
            }
            if !a.isEmpty {
                let family = self.clientAddress.contains(":") ? "2" : "1"
                guard a == "1" || a == "2" else { return .reply(FTPReply(501, "Unknown network protocol.")) }
                guard a == family else { return .reply(FTPReply(522, "Network protocol not supported, use (\(family)).")) }
            }
        }
        s.activity = .openingPassive(extended: extended)
        return .openPassiveListener(secure: self.connection.protectData)
    }

    private func active(_ verb: FTPVerb, _ arg: String, _ s: inout FTPSessionPhase.LoggedIn) -> Action {
        let name = verb.rawValue
        if s.extendedPassiveOnly { return .reply(FTPReply(501, "\(name) not allowed after EPSV ALL.")) }
        guard self.configuration.allowActiveMode else {
            return .reply(FTPReply(502, "Active mode is disabled; use PASV or EPSV."))
        }
        let parsed = verb == .port ? FTPHostPort.parsePORT(arg) : FTPHostPort.parseEPRT(arg)
        guard let target = parsed else {
            if verb == .eprt, arg.hasPrefix("|"), !arg.hasPrefix("|1|"), !arg.hasPrefix("|2|") {
                return .reply(FTPReply(522, "Network protocol not supported, use (1,2)."))
            }
            return .reply(FTPReply(501, "Syntax error in \(name) arguments."))
        }
        // FTP bounce protection (RFC 2577): only the client's own address, never a privileged port.
        guard IPAddressText.canonical(target.host) == self.clientAddress else {
            return .reply(FTPReply(504, "\(name) refused: the address must be the client's own."))
        }
        guard target.port >= 1024 else {
            return .reply(FTPReply(504, "\(name) refused: privileged port."))
        }
        s.data = .active(target)
        let ticket = self.connection.controlSecure && self.connection.protectData
        return .dataEndpointReady(
            FTPReply(200, "\(name) command successful. Consider using EPSV."), closePassiveListener: true, sendTLSTicket: ticket)
    }

    private func startTransfer(_ kind: FTPTransfer.Kind, display: FTPPath, _ s: inout FTPSessionPhase.LoggedIn) -> Action {
        let endpoint: FTPDataEndpoint
        switch s.data {
        case .none: return .reply(FTPReply(425, "Use PORT, EPRT, PASV or EPSV first."))
        case .passive: endpoint = .passive
        case .active(let target): endpoint = .active(target)
        }
        if self.configuration.tlsPolicy == .required, !self.connection.protectData,
            s.user.name != self.configuration.anonymousUser?.name
        {
            return .reply(FTPReply(521, "Data connections must be encrypted: use PBSZ 0 and PROT P."))
        }
        var transfer = FTPTransfer(kind: kind, virtualPath: display, type: s.type, endpoint: endpoint)
        transfer.secure = self.connection.protectData
        s.activity = .transferring(.init(transfer: transfer))
        return .transfer(transfer)
    }

    static func stripListOptions(_ arg: String) -> String {
        var rest = Substring(arg)
        while rest.hasPrefix("-") {
            guard let space = rest.firstIndex(of: " ") else { return "" }
            rest = rest[rest.index(after: space)...].drop(while: { $0 == " " })
        }
        return String(rest)
    }

    /// The directory part of a path argument as typed, up to its last `/` (`"pub/"` for `"pub/*.txt"`, `""` for
    /// `"*.txt"`).
    static func typedDirectory(_ argument: String) -> String {
        guard let slash = argument.lastIndex(of: "/") else { return "" }
        return String(argument[...slash])
    }

    /// ALPACA-style cross-protocol requests: an HTTP request line ends the session at once.
    private static func looksLikeHTTP(_ command: FTPCommand) -> Bool {
        ["GET", "POST", "PUT", "HEAD", "OPTIONS", "CONNECT", "DELETE", "PATCH", "TRACE"].contains(command.verb)
            && (command.argument.hasSuffix("HTTP/1.1") || command.argument.hasSuffix("HTTP/1.0"))
    }
}
