import Foundation
import NIOCore
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPSessionStateMachineTests {
    typealias Machine = FTPSessionStateMachine
    /// The wall clock the machine is told (2026-06-15 12:00 UTC).
    static let now = Date(timeIntervalSince1970: 1_781_524_800)

    func machine(anonymous: Bool = false) -> Machine {
        Machine(
            configuration: FTPSessionConfiguration(
                anonymousUser: anonymous ? FTPUser(name: "anonymous", permissions: .readOnly) : nil),
            clientAddress: "10.0.0.5", passiveAddress: "192.0.2.1")
    }

    func send(_ m: inout Machine, _ line: String) -> Machine.Action {
        m.commandReceived(try! FTPCommandParser.parse(Array(line.utf8)).get())
    }

    func code(_ a: Machine.Action) -> Int? {
        switch a {
        case .reply(let r): r.code
        case .close(let rs): rs.last?.code
        case .closeDataEndpoint(let r): r.code
        case .dataEndpointReady(let r, _, _): r.code
        case .reinitialize(let r, _): r.code
        default: nil
        }
    }

    func loggedIn(_ permissions: FTPPermissions = .all, root: FTPPath = .root) -> Machine {
        var m = machine()
        _ = send(&m, "USER alice")
        #expect(send(&m, "PASS pw") == .authenticate(user: "alice", password: "pw"))
        _ = m.authenticationCompleted(.accepted(FTPUser(name: "alice", root: root, permissions: permissions)))
        return m
    }

    @Test func loginFlow() throws {
        var m = machine()
        #expect(code(m.greeting()) == 220)
        #expect(code(send(&m, "PASS x")) == 503)
        #expect(code(send(&m, "USER nobody")) == 331)  // same answer for unknown users
        #expect(send(&m, "PASS pw") == .authenticate(user: "nobody", password: "pw"))
        #expect(code(send(&m, "NOOP")) == nil)  // waits while authenticating
        #expect(code(m.authenticationCompleted(.accepted(FTPUser(name: "nobody")))) == 230)
        #expect(m.user?.name == "nobody")
        let queued = m.nextQueuedAction()
        #expect(code(try #require(queued)) == 200)  // the NOOP, answered after the login
        #expect(m.nextQueuedAction() == nil)
        #expect(code(send(&m, "USER other")) == 530)
    }

    @Test func commandsBeforeLogin() {
        var m = machine()
        #expect(code(send(&m, "RETR x")) == 530)
        #expect(code(send(&m, "LIST")) == 530)
        #expect(code(send(&m, "XYZZY")) == 500)
        #expect(code(send(&m, "FEAT")) == 211)
        #expect(code(send(&m, "SYST")) == 215)
        #expect(code(send(&m, "QUIT")) == 221)
    }

    @Test func failedLoginsCloseTheSession() throws {
        var m = machine()
        for attempt in 1...3 {
            _ = send(&m, "USER alice")
            _ = send(&m, "PASS wrong")
            let rejected = m.authenticationCompleted(.rejected(addressBanned: false))
            #expect(rejected == .rejectLogin(
                user: "alice", reason: attempt == 3 ? "Too many failed logins, closing connection." : "Login incorrect.",
                hold: .seconds(1)))
            // Nothing is answered while the failure is held, not even a NOOP.
            #expect(send(&m, "NOOP") == .none)
            #expect(m.nextQueuedAction() == nil)
            let answer = m.loginHoldElapsed()
            if attempt == 3 {
                #expect(answer == .close([FTPReply(421, "Too many failed logins, closing connection.")]))
                #expect(m.isClosed)
            } else {
                #expect(answer == .reply(FTPReply(530, "Login incorrect.")))
                let queued = m.nextQueuedAction()
                #expect(code(try #require(queued)) == 200)
            }
        }
    }

    @Test func anonymousLogin() {
        var m = machine(anonymous: true)
        _ = send(&m, "USER anonymous")
        #expect(code(send(&m, "PASS me@example.com")) == 230)
        #expect(m.user?.permissions == .readOnly)
        #expect(code(send(&m, "DELE x")) == 550)
        #expect(code(send(&m, "MKD x")) == 550)

        var closed = machine()
        _ = send(&closed, "USER anonymous")
        #expect(send(&closed, "PASS x") == .authenticate(user: "anonymous", password: "x"))
    }

    @Test func pathsAreResolvedInsideTheUsersRoot() {
        var m = loggedIn(root: FTPPath("/home/alice"))
        let delete = FTPFileOperation.delete(FTPPath("/home/alice/etc/passwd"), display: FTPPath("/etc/passwd"))
        #expect(send(&m, "DELE ../../etc/passwd") == .fileOperation(delete))
        #expect(code(m.fileOperationCompleted(delete, .failed(FTPStorageError(.notFound, "/etc/passwd")), now: Self.now)) == 550)
        #expect(send(&m, "CWD /") == .fileOperation(.changeDirectory(FTPPath("/home/alice"), display: .root)))
        _ = m.fileOperationCompleted(.changeDirectory(FTPPath("/home/alice"), display: .root),
            .info(FTPFileInfo(name: "alice", kind: .directory, size: 0, modified: Date())), now: Self.now)
        // A rename names both ends as the user sees them, and acts on the storage's.
        let source = FTPFileOperation.renameSource(FTPPath("/home/alice/a"), display: FTPPath("/a"))
        #expect(send(&m, "RNFR a") == .fileOperation(source))
        _ = m.fileOperationCompleted(source, .info(FTPFileInfo(name: "a", kind: .file, size: 1, modified: Date())), now: Self.now)
        #expect(send(&m, "RNTO b") == .fileOperation(
            .rename(from: FTPPath("/home/alice/a"), to: FTPPath("/home/alice/b"), fromDisplay: FTPPath("/a"), display: FTPPath("/b"))))
    }

    @Test func changeDirectoryUpdatesOnlyOnSuccess() {
        var m = loggedIn()
        let op = FTPFileOperation.changeDirectory(FTPPath("/d"), display: FTPPath("/d"))
        #expect(send(&m, "CWD d") == .fileOperation(op))
        #expect(code(m.fileOperationCompleted(op, .failed(FTPStorageError(.notFound, "/d")), now: Self.now)) == 550)
        #expect(m.directory == .root)
        _ = send(&m, "CWD d")
        let info = FTPFileInfo(name: "d", kind: .directory, size: 0, modified: Date())
        #expect(code(m.fileOperationCompleted(op, .info(info), now: Self.now)) == 250)
        #expect(m.directory == FTPPath("/d"))
        #expect(send(&m, "PWD") == .reply(FTPReply(257, "\"/d\" is the current directory.")))
        _ = send(&m, "CDUP")
        _ = m.fileOperationCompleted(.changeDirectory(.root, display: .root), .info(info), now: Self.now)
        #expect(m.directory == .root)
    }

    @Test func renameNeedsRNFRImmediatelyBefore() {
        var m = loggedIn()
        #expect(code(send(&m, "RNTO b")) == 503)
        let src = FTPFileOperation.renameSource(FTPPath("/a"), display: FTPPath("/a"))
        #expect(send(&m, "RNFR a") == .fileOperation(src))
        let info = FTPFileInfo(name: "a", kind: .file, size: 1, modified: Date())
        #expect(code(m.fileOperationCompleted(src, .info(info), now: Self.now)) == 350)
        #expect(send(&m, "RNTO b") == .fileOperation(.rename(from: FTPPath("/a"), to: FTPPath("/b"), fromDisplay: FTPPath("/a"), display: FTPPath("/b"))))
        _ = m.fileOperationCompleted(.rename(from: FTPPath("/a"), to: FTPPath("/b"), fromDisplay: FTPPath("/a"), display: FTPPath("/b")), .done, now: Self.now)
        // An intervening command cancels the pending rename.
        _ = send(&m, "RNFR a")
        _ = m.fileOperationCompleted(src, .info(info), now: Self.now)
        _ = send(&m, "NOOP")
        #expect(code(send(&m, "RNTO b")) == 503)
    }

    @Test func transferNeedsADataConnectionSetup() throws {
        var m = loggedIn()
        #expect(code(send(&m, "RETR f")) == 425)
        #expect(send(&m, "PASV") == .openPassiveListener(secure: false))
        #expect(m.passiveListenerOpened(port: 5001) == .dataEndpointReady(
            FTPReply(227, "Entering Passive Mode (192,0,2,1,19,137)."), closePassiveListener: false, sendTLSTicket: false))
        let t = try #require(send(&m, "RETR f").transfer, "expected a transfer")
        #expect(t.kind == .retrieve(FTPPath("/f"), offset: 0, length: nil))
        #expect(t.endpoint == .passive)
        #expect(m.transferStarting().code == 150)
        #expect(code(m.transferCompleted(.completed(bytes: 10, name: nil))) == 226)
        // PASV is per transfer (RFC 1123).
        #expect(code(send(&m, "RETR f")) == 425)
    }

    @Test func epsvAndEpsvAll() {
        var m = loggedIn()
        #expect(send(&m, "EPSV") == .openPassiveListener(secure: false))
        #expect(m.passiveListenerOpened(port: 6000) == .dataEndpointReady(
            FTPReply(229, "Entering Extended Passive Mode (|||6000|)."), closePassiveListener: false, sendTLSTicket: false))
        #expect(code(send(&m, "EPSV 2")) == 522)
        #expect(code(send(&m, "EPSV 9")) == 501)
        #expect(code(send(&m, "EPSV ALL")) == 200)
        #expect(code(send(&m, "PASV")) == 501)
        #expect(code(send(&m, "PORT 10,0,0,5,20,0")) == 501)
    }

    @Test func bounceProtection() throws {
        var m = loggedIn()
        #expect(code(send(&m, "PORT 10,0,0,6,20,0")) == 504)  // another host
        #expect(code(send(&m, "PORT 10,0,0,5,0,21")) == 504)  // privileged port
        #expect(code(send(&m, "EPRT |1|10.0.0.9|5000|")) == 504)
        #expect(code(send(&m, "PORT 10,0,0,5,300,1")) == 501)
        #expect(code(send(&m, "EPRT |7|10.0.0.5|5000|")) == 522)
        #expect(code(send(&m, "PORT 10,0,0,5,20,0")) == 200)
        let t = try #require(send(&m, "LIST").transfer, "expected a transfer")
        #expect(t.endpoint == .active(FTPHostPort(host: "10.0.0.5", port: 5120)))
    }

    @Test func restApplesToTheNextTransferOnly() throws {
        var m = loggedIn()
        #expect(code(send(&m, "REST 100")) == 504)  // ASCII mode
        _ = send(&m, "TYPE I")
        #expect(code(send(&m, "REST 100")) == 350)
        #expect(code(send(&m, "REST abc")) == 501)
        _ = send(&m, "REST 100")
        _ = send(&m, "PORT 10,0,0,5,20,0")
        let t = try #require(send(&m, "STOR f").transfer, "expected a transfer")
        #expect(t.kind == .store(FTPPath("/f"), mode: .replaceFrom(offset: 100)))
        _ = m.transferCompleted(.completed(bytes: 1, name: nil))
        _ = send(&m, "REST 5")
        _ = send(&m, "PWD")  // not a transfer: the marker is gone
        _ = send(&m, "PORT 10,0,0,5,20,0")
        let t2 = try #require(send(&m, "STOR f").transfer)
        #expect(t2.kind == .store(FTPPath("/f"), mode: .replace))
    }

    @Test func abortDuringTransfer() {
        var m = loggedIn()
        _ = send(&m, "PASV")
        _ = m.passiveListenerOpened(port: 5001)
        _ = send(&m, "RETR f")
        #expect(send(&m, "ABOR") == .abortTransfer)
        #expect(send(&m, "CWD x") == .none)  // waits for the transfer
        #expect(code(send(&m, "STAT")) == 213)
        #expect(m.nextQueuedAction() == nil)
        #expect(m.transferCompleted(.aborted(bytes: 5)) == .replies([
            FTPReply(426, "Transfer aborted after 5 bytes."), FTPReply(226, "ABOR successful."),
        ]))
        #expect(m.isQuiet)
        #expect(m.nextQueuedAction() == .fileOperation(.changeDirectory(FTPPath("/x"), display: FTPPath("/x"))))
    }

    @Test func quitDuringTransferClosesAfterIt() {
        var m = loggedIn()
        _ = send(&m, "PASV")
        _ = m.passiveListenerOpened(port: 5001)
        _ = send(&m, "STOR f")
        #expect(send(&m, "QUIT") == .none)
        #expect(m.transferCompleted(.completed(bytes: 3, name: nil))
            == .close([FTPReply(226, "Transfer complete (3 bytes)."), FTPReply(221, "Goodbye.")]))
    }

    @Test func typesModesAndStructures() {
        var m = loggedIn()
        #expect(code(send(&m, "TYPE I")) == 200)
        #expect(m.type == .binary)
        #expect(code(send(&m, "TYPE A N")) == 200)
        #expect(code(send(&m, "TYPE A T")) == 504)
        #expect(code(send(&m, "TYPE L 7")) == 504)
        #expect(code(send(&m, "TYPE E")) == 504)
        #expect(code(send(&m, "TYPE")) == 501)
        #expect(code(send(&m, "STRU F")) == 200)
        #expect(code(send(&m, "STRU R")) == 504)
        #expect(code(send(&m, "MODE S")) == 200)
        #expect(code(send(&m, "MODE B")) == 504)
        #expect(code(send(&m, "ALLO 100")) == 202)
        #expect(code(send(&m, "SIZE f")) == 550)  // ASCII mode
    }

    @Test func optsAndFeatures() throws {
        var m = loggedIn()
        #expect(code(send(&m, "OPTS UTF8 ON")) == 200)
        #expect(code(send(&m, "OPTS HASH SHA-1")) == 200)
        #expect(send(&m, "OPTS HASH") == .reply(FTPReply(200, "SHA-1")))
        #expect(code(send(&m, "OPTS HASH CRC99")) == 501)
        #expect(send(&m, "OPTS MLST size;type;") == .reply(FTPReply(200, "MLST OPTS size;type;")))
        #expect(code(send(&m, "OPTS BOGUS")) == 501)
        let feat = try #require(send(&m, "FEAT").reply)
        #expect(feat.lines.contains("HASH SHA-256;SHA-1*;MD5"))
        #expect(feat.lines.contains("MLST type*;size*;modify;perm;unique;"))
    }

    @Test func hashUsesRangeAndAlgorithm() {
        var m = loggedIn()
        #expect(code(send(&m, "RANG 10 19")) == 350)
        #expect(send(&m, "HASH f") == .fileOperation(.hash(FTPPath("/f"), display: FTPPath("/f"), algorithm: .sha256, range: 10...19)))
        let op = FTPFileOperation.hash(FTPPath("/f"), display: FTPPath("/f"), algorithm: .sha256, range: 10...19)
        #expect(m.fileOperationCompleted(op, .hash("ab", first: 10, last: 19), now: Self.now) == .reply(FTPReply(213, "SHA-256 10-19 ab f")))
        #expect(code(send(&m, "RANG 5 1")) == 501)
    }

    /// ABOR stops a running HASH (it may read a file for as long as a transfer would): the operation is cancelled,
    /// and its failure answers 426 then 226; a HASH that ended first keeps its answer, then 226. Other commands wait.
    @Test func aborStopsARunningHash() {
        var m = loggedIn()
        let op = FTPFileOperation.hash(FTPPath("/big"), display: FTPPath("/big"), algorithm: .sha256, range: nil)
        #expect(send(&m, "HASH big") == .fileOperation(op))
        #expect(send(&m, "NOOP") == .none, "queued behind the HASH")
        #expect(send(&m, "ABOR") == .abortFileOperation)
        #expect(send(&m, "ABOR") == .none, "asked once")
        #expect(m.fileOperationCompleted(op, .failed(FTPStorageError(.io, "CancellationError()")), now: Self.now)
            == .replies([FTPReply(426, "HASH aborted."), FTPReply(226, "ABOR successful.")]))
        #expect(m.nextQueuedAction() == .reply(FTPReply(200, "NOOP ok.")))
        #expect(send(&m, "HASH big") == .fileOperation(op))
        #expect(send(&m, "ABOR") == .abortFileOperation)
        #expect(m.fileOperationCompleted(op, .hash("ab", first: 0, last: 9), now: Self.now)
            == .replies([FTPReply(213, "SHA-256 0-9 ab big"), FTPReply(226, "ABOR successful; nothing was running.")]))
        // Other file operations are short: ABOR waits for them, as before.
        #expect(send(&m, "DELE x") == .fileOperation(.delete(FTPPath("/x"), display: FTPPath("/x"))))
        #expect(send(&m, "ABOR") == .none)
    }

    /// STAT of a file is one reply; of a directory, a listing the driver streams while commands wait, ended by the
    /// machine with the same code whichever way the listing went.
    @Test func statusOfADirectoryIsStreamedAndThenEnded() throws {
        var m = loggedIn()
        let op = FTPFileOperation.status(FTPPath("/d"), display: FTPPath("/d"))
        #expect(send(&m, "STAT d") == .fileOperation(op))
        let file = FTPFileInfo(name: "d", kind: .file, size: 3, modified: Date())
        let one = m.fileOperationCompleted(op, .listingTarget(FTPListingTarget(info: file, directory: FTPPath("/d"))), now: Self.now)
        #expect(try #require(one.reply).lines.count == 3)

        let directory = FTPFileInfo(name: "d", kind: .directory, size: 0, modified: Date())
        let target = FTPListingTarget(info: directory, directory: FTPPath("/d"))
        for (outcome, expected) in [
            (FTPStatusListing.Outcome.sent, Machine.Action.reply(FTPReply(213, "End of status."))),
            (.stopped(FTPStorageError(.io, "/d")),
             .reply(FTPReply(213, "End of status; the listing stopped early: /d."))),
        ] {
            _ = send(&m, "STAT d")
            #expect(m.fileOperationCompleted(op, .listingTarget(target), now: Self.now)
                == .sendStatusListing(FTPStatusListing(target: target, opening: "Status of /d:")))
            #expect(send(&m, "NOOP") == .none, "a command waits for the listing")
            #expect(m.statusListingSent(outcome) == expected)
            let queued = m.nextQueuedAction()
            #expect(code(try #require(queued)) == 200)
        }
        _ = send(&m, "STAT d")
        _ = m.fileOperationCompleted(op, .listingTarget(target), now: Self.now)
        #expect(m.statusListingSent(.notTaken) == .close([]), "a client that stopped reading is closed")
        #expect(m.statusListingSent(.sent) == .none, "nothing after the end")

        // A shutdown while the reply is written waits for its end: a 421 inside it would be read as one of its lines.
        var shutting = loggedIn()
        _ = send(&shutting, "STAT d")
        _ = shutting.fileOperationCompleted(op, .listingTarget(target), now: Self.now)
        #expect(shutting.shutDown() == .none)
        #expect(shutting.statusListingSent(.sent)
            == .close([FTPReply(213, "End of status."), FTPReply(421, "Server shutting down.")]))
    }

    /// A file's STAT line is dated against the clock the driver passes, never one the machine reads: the time of day
    /// for a file from the last six months, the year for an older one.
    @Test func aFilesStatusIsDatedAgainstTheInjectedClock() throws {
        let op = FTPFileOperation.status(FTPPath("/f"), display: FTPPath("/f"))
        let modified = Date(timeIntervalSince1970: 1_768_480_440)  // 2026-01-15 12:34 UTC
        let target = FTPListingTarget(info: FTPFileInfo(name: "f", kind: .file, size: 3, modified: modified),
                                      directory: FTPPath("/f"))
        for (now, expected) in [
            (Date(timeIntervalSince1970: 1_769_904_000), "Jan 15 12:34 f"),  // 2026-02-01: recent
            (Date(timeIntervalSince1970: 1_798_761_600), "Jan 15  2026 f"),  // 2027-01-01: older than six months
        ] {
            var m = loggedIn()
            #expect(send(&m, "STAT f") == .fileOperation(op))
            let reply = try #require(m.fileOperationCompleted(op, .listingTarget(target), now: now).reply)
            #expect(reply.lines.count == 3)
            #expect(reply.lines.dropFirst().first?.hasSuffix(expected) == true, "\(reply.lines)")
        }
    }

    @Test func missingArgumentsAndUnknownCommands() {
        var m = loggedIn()
        for verb in ["CWD", "DELE", "MKD", "RMD", "RNFR", "SIZE", "MDTM", "RETR", "STOR", "APPE"] {
            #expect(code(send(&m, verb)) == 501, "\(verb)")
        }
        #expect(code(send(&m, "FROB")) == 500)
        #expect(code(send(&m, "MFMT 2024 x")) == 501)
        #expect(code(send(&m, "MFMT 20230230120000 x")) == 501, "30 February")
        // A path that starts with a combining mark keeps the space before it as the separator.
        guard case .fileOperation(let op) = send(&m, "MFMT 20240101120000 \u{301}x"),
            case .setModificationTime(let path, _, _, "20240101120000") = op
        else { Issue.record("MFMT lost its path"); return }
        #expect(path.name == "\u{301}x")
        _ = m.fileOperationCompleted(op, .done, now: Self.now)
        #expect(code(send(&m, "SITE UTIME x")) == 504)
        #expect(code(send(&m, "SITE")) == 501)
        #expect(code(send(&m, "SMNT x")) == 502)
        #expect(code(send(&m, "PASS x")) == 503)
    }

    /// SITE CHMOD MODE PATH, as vsftpd and pyftpdlib take it: permission bits only, a path that may hold spaces,
    /// the user's root and write permission respected.
    @Test func siteChmodSetsPermissionBits() {
        var m = loggedIn(root: FTPPath("/home/alice"))
        let op = FTPFileOperation.setPermissions(FTPPath("/home/alice/my file.txt"), mode: 0o640, display: FTPPath("/my file.txt"))
        #expect(send(&m, "site chmod 640 my file.txt") == .fileOperation(op))
        #expect(m.fileOperationCompleted(op, .done, now: Self.now) == .reply(FTPReply(200, "Permissions of /my file.txt set to 640.")))
        // A name that starts with a combining mark keeps its path (the space before it is still a separator).
        let marked = FTPFileOperation.setPermissions(FTPPath("/home/alice/\u{301}x"), mode: 0o600, display: FTPPath("/\u{301}x"))
        #expect(send(&m, "SITE CHMOD 600 \u{301}x") == .fileOperation(marked))
        _ = m.fileOperationCompleted(marked, .done, now: Self.now)
        #expect(send(&m, "SITE CHMOD 0755 d") == .fileOperation(
            .setPermissions(FTPPath("/home/alice/d"), mode: 0o755, display: FTPPath("/d"))))
        _ = m.fileOperationCompleted(.setPermissions(FTPPath("/home/alice/d"), mode: 0o755, display: FTPPath("/d")),
            .failed(FTPStorageError(.notFound, "/d")), now: Self.now)
        // Set-user-ID, set-group-ID and sticky bits, non-octal digits, signs and missing parts: 501.
        for bad in ["SITE CHMOD 4755 x", "SITE CHMOD 1777 x", "SITE CHMOD 800 x", "SITE CHMOD u+x x", "SITE CHMOD -644 x",
                    "SITE CHMOD 64444 x", "SITE CHMOD 644", "SITE CHMOD 644 ", "SITE CHMOD", "SITE CHMOD  644 x"] {
            #expect(code(send(&m, bad)) == 501, "\(bad)")
        }
        #expect(code(send(&m, "SITE CHMOD 700 /")) == 550, "the root's own bits")
        #expect(code(send(&m, "SITE CHMOD 700 ../..")) == 550, "the root, however it is named")
        #expect(send(&m, "SITE HELP") == .reply(FTPReply(214, lines: ["SITE commands: CHMOD HELP", "End."])))
        var reader = loggedIn(.readOnly)
        #expect(send(&reader, "SITE CHMOD 644 x") == .reply(FTPReply(550, "Permission denied.")))
    }

    @Test func reinitializeLogsOut() {
        var m = loggedIn()
        #expect(code(send(&m, "REIN")) == 220)
        #expect(m.user == nil)
        #expect(code(send(&m, "PWD")) == 530)
    }

    @Test func listOptionsAreIgnored() throws {
        var m = loggedIn()
        _ = send(&m, "PORT 10,0,0,5,20,0")
        let t = try #require(send(&m, "LIST -la").transfer)
        #expect(t.kind == .list(.root, format: .long))
        #expect(FTPSessionStateMachine.stripListOptions("-a -l sub dir") == "sub dir")
    }

    // MARK: - Policies: queue, hold, ban, idle time, shutdown, TLS tickets

    func line(_ text: String) -> FTPControlLine { .line(ByteBuffer(string: text)) }

    @Test func linesBeforeAdmissionWaitAndAreAnsweredAfterTheGreeting() throws {
        var m = Machine(configuration: FTPSessionConfiguration())
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        #expect(m.lineReceived(line("SYST"), now: t0) == .none)
        #expect(m.lineReceived(.tooLong, now: t0) == .none)
        #expect(m.nextQueuedAction() == nil)
        #expect(m.shutDown() == .none)  // not admitted yet: the server closes such connections itself
        #expect(m.admitted(clientAddress: "::ffff:10.0.0.5", passiveAddress: "192.0.2.1", now: t0)
            == .reply(FTPReply(220, "Seed FTP server ready.")))
        #expect(m.clientAddress == "10.0.0.5")
        let first = m.nextQueuedAction()
        let second = m.nextQueuedAction()
        #expect(code(try #require(first)) == 215)
        #expect(second == .reply(FTPCommandParseError.tooLong.reply))
        #expect(m.nextQueuedAction() == nil)
    }

    @Test func theQueueLimitClosesTheSession() {
        var config = FTPSessionConfiguration()
        config.maxQueuedCommands = 3
        var m = Machine(configuration: config, clientAddress: "10.0.0.5")
        let now = NIODeadline.now()
        _ = m.lineReceived(line("USER alice"), now: now)
        #expect(m.lineReceived(line("PASS pw"), now: now) == .authenticate(user: "alice", password: "pw"))
        for _ in 0..<3 { #expect(m.lineReceived(line("NOOP"), now: now) == .none) }
        #expect(m.lineReceived(line("NOOP"), now: now) == .close([FTPReply(421, "Too many commands queued; closing.")]))
        #expect(m.isClosed)
        #expect(m.authenticationCompleted(.accepted(FTPUser(name: "alice"))) == .none)

        // Before admission the same flood closes without a word: there was no greeting yet.
        var early = Machine(configuration: config)
        for _ in 0..<3 { #expect(early.lineReceived(line("NOOP"), now: now) == .none) }
        #expect(early.lineReceived(line("NOOP"), now: now) == .close([]))
    }

    @Test func aClientThatDoesNotReadItsRepliesIsNotAnswered() throws {
        var m = loggedIn()
        let now = NIODeadline.now()
        m.writabilityChanged(false)
        #expect(m.lineReceived(line("PWD"), now: now) == .none)
        #expect(m.nextQueuedAction() == nil)
        m.writabilityChanged(true)
        // A line that arrives now still waits behind the first, so replies keep their order.
        #expect(m.lineReceived(line("NOOP"), now: now) == .none)
        let pwd = m.nextQueuedAction()
        let noop = m.nextQueuedAction()
        #expect(code(try #require(pwd)) == 257)
        #expect(code(try #require(noop)) == 200)
    }

    @Test func aBannedAddressGetsTheBanAnswerAndIsClosed() {
        var m = machine()
        _ = send(&m, "USER alice")
        _ = send(&m, "PASS pw")
        #expect(m.authenticationCompleted(.rejected(addressBanned: true)) == .rejectLogin(
            user: "alice", reason: "Too many failed logins from your address.", hold: .seconds(1)))
        #expect(m.loginHoldElapsed() == .close([FTPReply(421, "Too many failed logins from your address.")]))
    }

    @Test func aUserOverTheSessionLimitIsClosed() {
        var m = machine()
        _ = send(&m, "USER alice")
        _ = send(&m, "PASS pw")
        #expect(m.authenticationCompleted(.sessionLimitReached)
            == .close([FTPReply(421, "Too many sessions for this user; try again later.")]))
    }

    @Test func idleTimeoutFollowsTheInjectedClock() {
        var config = FTPSessionConfiguration()
        config.idleTimeout = .seconds(60)
        var m = Machine(configuration: config)
        let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)
        _ = m.admitted(clientAddress: "10.0.0.5", passiveAddress: nil, now: t0)
        #expect(m.nextTick(now: t0) == t0 + .seconds(60))
        _ = m.lineReceived(line("USER alice"), now: t0 + .seconds(30))
        #expect(m.tick(now: t0 + .seconds(60)) == .none)  // 30 s since the last line
        #expect(m.nextTick(now: t0 + .seconds(60)) == t0 + .seconds(90))
        #expect(m.tick(now: t0 + .seconds(90)) == .close([FTPReply(421, "Idle timeout; closing control connection.")]))

        // Running work keeps a session alive however long it takes.
        var busy = Machine(configuration: config)
        _ = busy.admitted(clientAddress: "10.0.0.5", passiveAddress: nil, now: t0)
        _ = busy.lineReceived(line("USER alice"), now: t0)
        _ = busy.lineReceived(line("PASS pw"), now: t0)
        #expect(busy.tick(now: t0 + .seconds(600)) == .none)
        #expect(busy.nextTick(now: t0 + .seconds(600)) == t0 + .seconds(660))
    }

    @Test func shutdownWaitsForTheRunningTransfer() {
        var idle = loggedIn()
        #expect(idle.shutDown() == .close([FTPReply(421, "Server shutting down.")]))

        var m = loggedIn()
        _ = send(&m, "PASV")
        _ = m.passiveListenerOpened(port: 5001)
        _ = send(&m, "RETR f")
        #expect(m.shutDown() == .none)
        #expect(m.transferCompleted(.completed(bytes: 3, name: nil)) == .close([
            FTPReply(226, "Transfer complete (3 bytes)."), FTPReply(421, "Server shutting down."),
        ]))
        #expect(m.user?.name == "alice")  // kept for the records written while the session winds down
    }

    @Test func protectedDataEndpointsAskForAFreshTLSTicket() {
        var config = FTPSessionConfiguration()
        config.tlsPolicy = .optional
        var m = Machine(configuration: config, clientAddress: "10.0.0.5", passiveAddress: "192.0.2.1")
        #expect(code(send(&m, "AUTH TLS")) == nil)
        _ = send(&m, "PBSZ 0")
        _ = send(&m, "PROT P")
        _ = send(&m, "USER alice")
        _ = send(&m, "PASS pw")
        _ = m.authenticationCompleted(.accepted(FTPUser(name: "alice")))
        #expect(send(&m, "EPSV") == .openPassiveListener(secure: true))
        #expect(m.passiveListenerOpened(port: 6000) == .dataEndpointReady(
            FTPReply(229, "Entering Extended Passive Mode (|||6000|)."), closePassiveListener: false, sendTLSTicket: true))
        #expect(send(&m, "PORT 10,0,0,5,20,0") == .dataEndpointReady(
            FTPReply(200, "PORT command successful. Consider using EPSV."), closePassiveListener: true, sendTLSTicket: true))
    }

    @Test func everyVerbIsAnsweredBeforeLogin() {
        for verb in FTPVerb.allCases {
            var m = machine()
            let action = send(&m, verb.rawValue + (verb.needsPath ? " x" : ""))
            if verb.isAllowedBeforeLogin {
                #expect(code(action) != 530, "\(verb)")
            } else {
                #expect(code(action) == 530, "\(verb)")
            }
        }
    }

    @Test func aliasesActLikeTheirCommands() {
        var m = loggedIn()
        #expect(send(&m, "XPWD") == send(&m, "PWD"))
        #expect(send(&m, "XMKD d") == .fileOperation(.makeDirectory(FTPPath("/d"), display: FTPPath("/d"))))
    }
}

extension FTPSessionStateMachine.Action {
    /// The transfer this action starts, if it starts one.
    var transfer: FTPTransfer? {
        if case .transfer(let t) = self { return t }
        return nil
    }
}
