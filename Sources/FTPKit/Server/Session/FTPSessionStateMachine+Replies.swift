package import Foundation

extension FTPSessionStateMachine {
    /// A file operation the driver ran has ended. `now` is the wall clock's time, which a file's `STAT` line shows
    /// against (the time of day for recent files, the year for older ones).
    package mutating func fileOperationCompleted(
        _ operation: FTPFileOperation, _ result: FTPFileOperationResult, now: Date
    ) -> Action {
        guard case .loggedIn(var s) = self.phase else { return .none }
        switch s.activity {
        case .fileOperation, .hashing(aborting: false): break
        case .hashing(aborting: true):
            s.activity = .idle
            self.phase = .loggedIn(s)
            if case .failed = result {
                return .replies([FTPReply(426, "HASH aborted."), FTPReply(226, "ABOR successful.")])
            }
            // It finished before the ABOR reached it: its answer, then ABOR's (RFC 959).
            let answer = self.answer(operation, result, now: now)
            guard case .reply(let reply) = answer else { return answer }
            return .replies([reply, FTPReply(226, "ABOR successful; nothing was running.")])
        default: return .none
        }
        return self.answer(operation, result, now: now)
    }

    /// The operation's own answer; the session is idle again.
    private mutating func answer(_ operation: FTPFileOperation, _ result: FTPFileOperationResult, now: Date) -> Action {
        guard case .loggedIn(var s) = self.phase else { return .none }
        s.activity = .idle
        defer { self.phase = .loggedIn(s) }
        if case .failed(let error) = result {
            return .reply(error.reply)
        }
        switch operation {
        case .changeDirectory(_, let display):
            guard case .info(let info) = result, info.kind == .directory else {
                return .reply(FTPReply(550, "\(display): Not a directory."))
            }
            s.directory = display
            return .reply(FTPReply(250, "Directory changed to \(display)."))
        case .delete(_, let display):
            return .reply(FTPReply(250, "Deleted \(display)."))
        case .makeDirectory(_, let display):
            return .reply(FTPReply(257, "\(display.quoted) created."))
        case .removeDirectory(_, let display):
            return .reply(FTPReply(250, "Removed directory \(display)."))
        case .renameSource(let storage, let display):
            s.renameFrom = .init(storage: storage, display: display)
            return .reply(FTPReply(350, "Ready for RNTO."))
        case .rename(_, _, _, let display):
            return .reply(FTPReply(250, "Renamed to \(display)."))
        case .size(_, let display):
            guard case .info(let info) = result, info.kind.hasByteSize else {
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
        case .setPermissions(_, let mode, let display):
            return .reply(FTPReply(200, "Permissions of \(display) set to \(String(mode, radix: 8))."))
        case .machineInfo(_, let display, let facts):
            guard case .info(let info) = result else { return .reply(FTPReply(550, "\(display): unavailable.")) }
            let line = FTPListFormatter.facts(info, enabled: facts, permissions: s.user.permissions, name: display.description)
            return .reply(FTPReply(250, lines: ["Listing \(display)", line, "End."]))
        case .status(_, let display):
            guard case .listingTarget(let target) = result else {
                return .reply(FTPReply(550, "\(display): unavailable."))
            }
            guard target.isDirectory else {
                let line = FTPListFormatter.longLine(target.info, now: now)
                return .reply(FTPReply(213, lines: ["Status of \(display):", line, "End of status."]))
            }
            // A directory's lines are written as its entries are read (a big one is never held whole), and commands
            // wait until the reply has ended.
            s.activity = .sendingStatus(shutDownAfter: false)
            return .sendStatusListing(FTPStatusListing(target: target, opening: "Status of \(display):"))
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

    /// The lines of a STAT listing have been written (``Action/sendStatusListing(_:)``): end its reply, or the
    /// session when the client stopped taking it.
    package mutating func statusListingSent(_ outcome: FTPStatusListing.Outcome) -> Action {
        guard case .loggedIn(var s) = self.phase, case .sendingStatus(let shutDownAfter) = s.activity else { return .none }
        s.activity = .idle
        self.phase = .loggedIn(s)
        let end: FTPReply
        switch outcome {
        case .sent:
            end = FTPReply(FTPStatusListing.code, "End of status.")
        case .stopped(let error):
            // The reply has begun: it can only end with its own code, saying that the listing is incomplete.
            end = FTPReply(FTPStatusListing.code, "End of status; the listing stopped early: \(error.message).")
        case .notTaken:
            return self.close([])
        }
        return shutDownAfter ? self.close([end, FTPReply(421, "Server shutting down.")]) : .reply(end)
    }

    // MARK: - Security (RFC 2228, RFC 4217)

    mutating func security(_ command: FTPCommand, _ verb: FTPVerb) -> Action {
        guard self.configuration.tlsPolicy != nil else {
            return .reply(FTPReply(502, "TLS is not configured on this server."))
        }
        let arg = command.argument.trimmingSpaces().uppercased()
        switch verb {
        case .auth:
            guard ["TLS", "TLS-C", "SSL", "TLS-P"].contains(arg) else {
                return .reply(FTPReply(504, "Unknown AUTH mechanism '\(command.argument)'; use TLS."))
            }
            if self.connection.controlSecure { return .reply(FTPReply(503, "Already using TLS.")) }
            guard case .loggedOut(let s) = self.phase else { return .reply(FTPReply(503, "AUTH must come before login.")) }
            self.connection.controlSecure = true
            // A USER sent in clear text does not carry over into the TLS session.
            self.phase = .loggedOut(.init(failedLogins: s.failedLogins))
            return .startTLS(FTPReply(234, "Proceed with TLS negotiation."))
        case .pbsz:
            guard self.connection.controlSecure else {
                return .reply(FTPReply(503, "PBSZ needs a TLS control connection (AUTH TLS)."))
            }
            guard !arg.isEmpty, arg.allSatisfy(\.isASCIIDigit) else { return .reply(FTPReply(501, "PBSZ needs a number.")) }
            self.connection.protectionBufferSet = true
            return .reply(FTPReply(200, "PBSZ=0"))
        case .prot:
            guard self.connection.controlSecure else {
                return .reply(FTPReply(503, "PROT needs a TLS control connection (AUTH TLS)."))
            }
            guard self.connection.protectionBufferSet else { return .reply(FTPReply(503, "PROT needs PBSZ first.")) }
            switch arg {
            case "P":
                self.connection.protectData = true
                return .reply(FTPReply(200, "Data connections will be encrypted."))
            case "C":
                if self.configuration.tlsPolicy == .required {
                    return .reply(FTPReply(534, "This server requires encrypted data connections (PROT P)."))
                }
                self.connection.protectData = false
                return .reply(FTPReply(200, "Data connections will be in clear text."))
            case "S", "E": return .reply(FTPReply(536, "Only PROT C and PROT P are supported."))
            default: return .reply(FTPReply(504, "Unknown protection level '\(command.argument)'."))
            }
        case .ccc:
            return .reply(FTPReply(534, "Clearing the control connection's protection is not allowed."))
        default:
            return .reply(FTPReply(502, "\(command.verb) is not supported."))
        }
    }

    // MARK: - HELP, FEAT, OPTS, STAT

    /// The verbs HELP lists: every one but the security commands, which only count when TLS is configured.
    private var helpVerbs: [FTPVerb] {
        FTPVerb.allCases.filter { verb in
            !verb.isSecurity || (self.configuration.tlsPolicy != nil && [.auth, .pbsz, .prot].contains(verb))
        }
    }

    func help(_ argument: String) -> Action {
        let verbs = self.helpVerbs
        if !argument.isEmpty {
            let name = argument.uppercased()
            guard let verb = FTPVerb(rawValue: name), verbs.contains(verb) else {
                return .reply(FTPReply(502, "Unknown command \(name)."))
            }
            return .reply(FTPReply(214, "Syntax: \(verb.rawValue) \(verb.syntax)"))
        }
        var lines = ["The following commands are recognized:"]
        let names = verbs.map(\.rawValue).sorted()
        for start in stride(from: 0, to: names.count, by: 10) {
            lines.append(names[start..<min(start + 10, names.count)].joined(separator: " "))
        }
        lines.append("Help OK.")
        return .reply(FTPReply(214, lines: lines))
    }

    func features() -> FTPReply {
        let hashes = FTPHashAlgorithm.allCases.map { $0 == self.connection.hashAlgorithm ? $0.rawValue + "*" : $0.rawValue }
        let facts = MachineListFact.allCases.map { f in
            f.rawValue + (self.connection.machineFacts.contains(f) ? "*;" : ";")
        }.joined()
        return FTPReply(211, lines: [
            "Features:", "AVBL", "EPRT", "EPSV", "HASH \(hashes.joined(separator: ";"))", "HOST", "MDTM", "MFMT",
            "MLST \(facts)", "RANG STREAM", "REST STREAM", "SIZE", "TVFS", "UTF8",
        ] + (self.configuration.tlsPolicy != nil ? ["AUTH TLS", "PBSZ", "PROT"] : []) + ["End"])
    }

    mutating func opts(_ argument: String) -> Action {
        let parts = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard let name = parts.first?.uppercased() else { return .reply(FTPReply(501, "OPTS needs an argument.")) }
        let value = parts.count > 1 ? parts[1] : ""
        switch name {
        case "UTF8", "UTF-8":
            // Names are always UTF-8 here; ON is the only mode, but OFF is accepted too for old clients.
            return .reply(FTPReply(200, "UTF8 mode is always on."))
        case "MLST":
            let enabled = value.split(separator: ";").compactMap { MachineListFact(rawValue: $0.lowercased()) }
            self.connection.machineFacts = enabled
            return .reply(FTPReply(200, "MLST OPTS " + enabled.map { $0.rawValue + ";" }.joined()))
        case "HASH":
            if value.isEmpty { return .reply(FTPReply(200, self.connection.hashAlgorithm.rawValue)) }
            guard let algorithm = FTPHashAlgorithm(rawValue: value.uppercased()) else {
                return .reply(FTPReply(501, "Unknown algorithm; use one of "
                    + FTPHashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ") + "."))
            }
            self.connection.hashAlgorithm = algorithm
            return .reply(FTPReply(200, algorithm.rawValue))
        default:
            return .reply(FTPReply(501, "Option \(name) not understood."))
        }
    }

    func statusLines() -> [String] {
        var lines = ["Seed FTP server status:", "Connected from \(self.clientAddress)"]
        if let user = self.user { lines.append("Logged in as \(user.name)") } else { lines.append("Not logged in") }
        lines.append("TYPE: \(self.type == .binary ? "BINARY" : "ASCII"), STRUcture: File, MODE: Stream")
        let data: FTPSessionPhase.DataSetup = if case .loggedIn(let s) = self.phase { s.data } else { .none }
        switch data {
        case .none: lines.append("No data connection")
        case .passive(let port, _): lines.append("Passive mode on port \(port)")
        case .active(let t): lines.append("Active mode to \(t)")
        }
        return lines
    }
}
