import FTPKit
import Foundation
import SeedTestSupport
import Testing

/// The `ftpd` program itself: user management, the configuration file and graceful shutdown on SIGTERM.
@Suite(.tags(.interop), .inTestSet(.interop)) struct FTPDExecutableTests {
    static var binary: String { Binaries.ftpd }

    /// `DIR/root` and a users file `DIR/users.json` with `name` (password `pw` unless given) in it.
    static func rootAndUser(_ name: String, password: String = "pw", in dir: TemporaryDirectory) async throws
        -> (root: String, users: String)
    {
        let root = dir.path + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let users = dir.path + "/users.json"
        let added = try await runProcess(
            Self.binary, ["user", "add", "--users", users, "--iterations", "2000", name], stdin: password + "\n")
        #expect(added.status == 0, "\(added)")
        return (root, users)
    }

    /// ftpd on `root` with `users`, its standard error (info level) in `log`.
    static func startServer(root: String, users: String?, log: String, port: Int, extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--root", root, "--address", "127.0.0.1", "--port", String(port), "--log-level", "info"]
            + (users.map { ["--users", $0] } ?? []) + extra
        try Data().write(to: URL(fileURLWithPath: log))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        return process
    }

    /// A server on `dir` with one user, ann (password "one"), and one file, x.txt, once it answers.
    struct Running {
        let process: Process
        let port: Int
        let log: String
        let users: String
        let curl: String
    }

    static func serveAnn(in dir: TemporaryDirectory, extra: [String] = []) async throws -> Running {
        let (root, users) = try await Self.rootAndUser("ann", password: "one", in: dir)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/x.txt"))
        let port = try freeTCPPort()
        let log = dir.path + "/log"
        let process = try Self.startServer(root: root, users: users, log: log, port: port, extra: extra)
        let curl = try requireTool("curl", package: "curl")
        do {
            try await Self.waitUntilServing(curl: curl, ["-sS", "ftp://ann:one@127.0.0.1:\(port)/x.txt"], log: log)
        } catch {
            process.terminate()
            throw error
        }
        return Running(process: process, port: port, log: log, users: users, curl: curl)
    }

    /// Polls with curl (each try bounded) until the server started from the test answers; on failure, records the
    /// last try and what the server wrote to `log`.
    static func waitUntilServing(curl: String, _ arguments: [String], log: String) async throws {
        var last = ProcessResult(status: -1, stdout: "", stderr: "")
        do {
            try await eventually("ftpd listening") {
                last = try await runProcess(curl, ["--max-time", "10"] + arguments)
                return last.status == 0
            }
        } catch {
            Issue.record("last try: \(last); ftpd wrote: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            throw error
        }
    }

    /// Starts ftpd with `arguments` (its standard error kept in the directory's `log`; `stdin`, under a pipe's 64 KiB,
    /// written whole before it starts, so nothing is written to a pipe whose reader has gone) and fetches `url` with
    /// curl once it serves. The process is the caller's to stop; on failure it is stopped and its log recorded.
    static func startAndFetch(
        _ arguments: [String], in dir: TemporaryDirectory, workingDirectory: String? = nil, stdin: String? = nil, url: String
    ) async throws -> (Process, ProcessResult) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let log = dir.url.appendingPathComponent("log")
        try Data().write(to: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        do {
            let curl = try requireTool("curl", package: "curl")
            let got = try await eventuallyValue("ftpd serving", timeout: .seconds(60)) { () async -> ProcessResult? in
                guard let r = try? await runProcess(curl, ["-sS", url]), r.status == 0 else { return nil }
                return r
            }
            return (process, got)
        } catch {
            if process.isRunning { process.terminate() }
            Issue.record("ftpd wrote: \(procFileText(log.path) ?? "")")
            throw error
        }
    }

    /// Relative paths in a configuration file are the file's neighbours, not the working directory's: started
    /// from `/`, `"root": "root"` serves the directory beside the file (before, `/root`).
    @Test func pathsInAConfigurationFileAreItsNeighbours() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        try Data("beside the file".utf8).write(to: URL(fileURLWithPath: dir.path + "/root/here.txt"))
        let added = try await runProcess(Self.binary, ["user", "add", "--users", dir.path + "/users.json", "--iterations", "2000", "ann"], stdin: "pw\n")
        #expect(added.status == 0, "\(added)")
        let port = try freeTCPPort()
        try #"{"root": "root", "users": "users.json", "address": "127.0.0.1", "port": \#(port)}"#
            .write(toFile: dir.path + "/ftpd.json", atomically: true, encoding: .utf8)
        let (process, got) = try await Self.startAndFetch(
            ["--config", dir.path + "/ftpd.json"], in: dir, workingDirectory: "/", url: "ftp://ann:pw@127.0.0.1:\(port)/here.txt")
        defer { if process.isRunning { process.terminate() } }
        #expect(got.stdout == "beside the file")
    }

    /// A configuration can come from a pipe (`--config <(…)`, `/dev/stdin`): read to its end, where Foundation's
    /// `Data(contentsOf:)` had answered "permission denied".
    @Test func aConfigurationFromAPipeIsRead() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        try Data("from a pipe".utf8).write(to: URL(fileURLWithPath: dir.path + "/root/here.txt"))
        let port = try freeTCPPort()
        // Padded past a page, so a reader that stops after its first read sees broken JSON; and under the pipe's
        // 64 KiB, so it is all written before ftpd starts (nothing is written to a pipe whose reader has gone).
        let config = #"{"root": "\#(dir.path)/root", "anonymous": true, "address": "127.0.0.1", "port": \#(port)"#
            + String(repeating: " ", count: 30_000) + "}"
        let (process, got) = try await Self.startAndFetch(
            ["--config", "/dev/stdin"], in: dir, stdin: config, url: "ftp://127.0.0.1:\(port)/here.txt")
        defer { if process.isRunning { process.terminate() } }
        #expect(got.stdout == "from a pipe")
    }

    /// `user add` checks the name, root, permissions and iterations before it asks for a password (at a terminal it
    /// asked twice, then refused the name), says what a name may hold, and shows its own usage, not the server's.
    @Test func userAddRefusesBadArgumentsBeforeThePassword() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        for (arguments, said) in [(["a b"], #"invalid user name "a b": use 1 to 64 ASCII letters"#),
                                  (["--root", "home", "ann"], "root must start with /"),
                                  (["--permissions", "read,fly", "ann"], "unknown permission 'fly'"),
                                  (["--iterations", "10", "ann"], "at least 1000 PBKDF2 iterations")] {
            // No password on standard input: the argument is what is refused.
            let refused = try await runProcess(Self.binary, ["user", "add", "--users", users] + arguments, stdin: "")
            #expect(refused.status == 64 && refused.stderr.contains(said), "\(refused)")
            #expect(refused.stderr.contains("Usage: ftpd user add"), "\(refused)")
        }
        #expect(!FileManager.default.fileExists(atPath: users))
        let noPassword = try await runProcess(Self.binary, ["user", "add", "--users", users, "ann"], stdin: "")
        #expect(noPassword.status == 1 && noPassword.stderr.contains("no password on standard input"), "\(noPassword)")
        #expect(!noPassword.stderr.contains("Usage:"), "\(noPassword)")
    }

    /// The users file holds password hashes: `user add` creates it readable by its owner only, keeps the mode an
    /// operator gave it (before, every change rewrote it 0644 through the umask), replaces the file a link leads to
    /// and leaves the link, and a file it cannot write or a user who is not there is one sentence, without the
    /// usage text.
    @Test func theUsersFileStaysPrivate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        func add(_ name: String, to path: String = users) async throws -> ProcessResult {
            try await runProcess(Self.binary, ["user", "add", "--users", path, "--iterations", "2000", name], stdin: "pw\n")
        }
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        var r = try await add("ann")
        #expect(r.status == 0, "\(r)")
        #expect(try mode(users) == 0o600)
        chmod(users, 0o640)
        r = try await add("bob")
        #expect(r.status == 0, "\(r)")
        #expect(try mode(users) == 0o640, "an operator's mode stands")

        let link = dir.path + "/link.json"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: users)
        r = try await add("cid", to: link)
        #expect(r.status == 0, "\(r)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == users, "still a link")
        let names = try UsersFile(contentsOf: users).entries.map(\.name)
        #expect(names == ["ann", "bob", "cid"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        r = try await add("dee", to: dir.path + "/missing/users.json")
        #expect(r.status == 1 && r.stderr.contains("cannot write users file \(dir.path)/missing/users.json: No such file or directory")
            && !r.stderr.contains("Usage"), "\(r)")
        r = try await runProcess(Self.binary, ["user", "remove", "--users", users, "zed"])
        #expect(r.status == 1 && r.stderr.contains("Error: no user 'zed' in \(users)") && !r.stderr.contains("Usage"), "\(r)")
    }

    /// With --anonymous, USER anonymous and USER ftp never reach the users file: an account of either name could never
    /// log in, so ftpd says so at start instead of letting its owner in read-only and anonymous.
    @Test func anAccountNamedLikeAnonymousLoginsIsRefusedWithAnonymousOn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        let added = try await runProcess(Self.binary, ["user", "add", "--users", users, "--iterations", "2000", "FTP"], stdin: "pw\n")
        #expect(added.status == 0 && added.stderr.contains("'FTP' is an anonymous login name"), "\(added)")
        let r = try await runProcess(Self.binary, ["--memory", "--users", users, "--anonymous", "--port", "0"], timeout: .seconds(30))
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("Error: users file \(users): user 'FTP' could never log in, since --anonymous takes that name"), "\(r)")
        #expect(!r.stderr.contains("Usage"), "\(r)")
        let plain = try await runProcess(Self.binary, ["user", "add", "--users", users, "--iterations", "2000", "ann"], stdin: "pw\n")
        #expect(plain.status == 0 && !plain.stderr.contains("anonymous login name"), "\(plain)")

        // Added while the server runs, the account is reported as unreachable when the file is read again.
        let other = try TemporaryDirectory()
        defer { other.cleanup() }
        let server = try await Self.serveAnn(in: other, extra: ["--anonymous"])
        defer { server.process.terminate() }
        let log = server.log
        let late = try await runProcess(Self.binary, ["user", "add", "--users", server.users, "--iterations", "2000", "anonymous"], stdin: "pw\n")
        #expect(late.status == 0, "\(late)")
        try await eventually("the unreachable account reported") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("a user can never log in")
        }
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("user=anonymous"))
    }

    /// `ftpd user add`, a changed password and `user remove` take effect on a running server without a SIGHUP (before,
    /// a new user was refused and a changed password left the old one working until a restart); a users file
    /// saved broken is reported once and the users in force stay.
    @Test func aRunningServerFollowsItsUsersFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let server = try await Self.serveAnn(in: dir)
        defer { server.process.terminate() }
        let (port, log, users, curl) = (server.port, server.log, server.users, server.curl)
        func login(_ user: String, _ password: String) async throws -> Bool {
            try await runProcess(curl, ["-sS", "--max-time", "10", "ftp://\(user):\(password)@127.0.0.1:\(port)/x.txt"]).status == 0
        }
        func user(_ arguments: [String], password: String = "") async throws {
            let r = try await runProcess(Self.binary, ["user"] + arguments + ["--users", users], stdin: password + "\n")
            #expect(r.status == 0, "\(r)")
        }
        try await user(["add", "--iterations", "2000", "bob"], password: "two")
        try await eventually("bob can log in") { try await login("bob", "two") }
        try await user(["add", "--iterations", "2000", "ann"], password: "three")
        try await eventually("ann's new password works") { try await login("ann", "three") }
        #expect(try await !login("ann", "one"), "the old password still opened the account")
        try await user(["remove", "bob"])
        try await eventually("bob is refused") { try await !login("bob", "two") }

        try Data("{broken".utf8).write(to: URL(fileURLWithPath: users))
        try await eventually("the broken file reported") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("users file changed but not reloaded")
        }
        #expect(try await login("ann", "three"), "the users in force stay")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.components(separatedBy: "not reloaded").count == 2, "reported once, not every check: \(text)")
    }

    /// At a terminal, `ftpd user add` asks for the password twice and never shows it (before, it read a line as it
    /// was typed, echo and all); two different answers change nothing. `ftpd user list` shows each user's root,
    /// permissions and limits, never a hash.
    @Test func atATerminalThePasswordIsAskedTwiceAndNotShown() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        let python = try requireTool("python3", package: "python3")
        // A pseudo-terminal, answering each prompt (a line ending in ":") with the next answer.
        let script = """
            import os, pty, select, sys, time
            binary, users, name, answers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(binary, [binary, "user", "add", "--users", users, "--iterations", "2000", name])
            out, answered, deadline = b"", 0, time.time() + 60
            while time.time() < deadline:
                if not select.select([fd], [], [], 0.2)[0]:
                    continue
                try:
                    data = os.read(fd, 1024)
                except OSError:
                    break
                if not data:
                    break
                out += data
                # A prompt is a line that ends in ":" and came after the last answer: the line break that follows
                # an answer (echo still off) is not one, and answering it typed the next answer while the echo was
                # back on between the two prompts.
                if answers and out[answered:].split(b"\\n")[-1].strip().endswith(b":"):
                    os.write(fd, answers.pop(0).encode() + b"\\n")
                    answered = len(out)
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(repr(out))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        var r = try await runProcess(python, ["-c", script, Self.binary, users, "zoe", "first secret", "first secret"])
        #expect(r.status == 0 && r.stdout.contains("Password for zoe:") && r.stdout.contains("again:"), "\(r)")
        #expect(!r.stdout.contains("first secret"), "the password was shown: \(r.stdout)")
        let auth = try UsersFileAuthenticator(path: users)
        #expect(await auth.authenticate(user: "zoe", password: "first secret", client: "127.0.0.1") != nil)

        r = try await runProcess(python, ["-c", script, Self.binary, users, "zoe", "second secret", "another"])
        #expect(r.status == 1 && r.stdout.contains("the two passwords differ; nothing was changed"), "\(r)")
        #expect(!r.stdout.contains("second secret") && !r.stdout.contains("another"), "\(r.stdout)")
        #expect(try await UsersFileAuthenticator(path: users).authenticate(user: "zoe", password: "first secret", client: "x") != nil)

        r = try await runProcess(Self.binary, ["user", "add", "--users", users, "--iterations", "2000", "--root", "/amy",
            "--permissions", "read,write", "amy"], stdin: "piped\n")
        #expect(r.status == 0, "\(r)")
        r = try await runProcess(Self.binary, ["user", "list", "--users", users])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "zoe  root=/  permissions=all\namy  root=/amy  permissions=read,write\n", "\(r)")
        #expect(!r.stdout.contains("pbkdf2"))
        r = try await runProcess(Self.binary, ["user", "list", "--users", dir.path + "/missing.json"])
        #expect(r.status == 1 && r.stderr.contains("missing.json") && !r.stderr.contains("Usage"), "\(r)")
    }

    @Test func userAddConfigFileAndSigterm() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build ftpd first (swift build)")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        var r = try await runProcess(Self.binary, ["user", "add", "--users", users, "--iterations", "2000", "carol"], stdin: "pa ss\n")
        #expect(r.status == 0, "\(r)")
        r = try await runProcess(Self.binary, ["user", "add", "--users", users, "carol"], stdin: "")
        #expect(r.status != 0 && r.stderr.contains("no password"), "\(r)")
        #expect(try !String(contentsOfFile: users, encoding: .utf8).contains("pa ss"))

        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        try Data("served".utf8).write(to: URL(fileURLWithPath: dir.path + "/root/file.txt"))
        let port = try freeTCPPort()
        let config = """
            {"root": "\(dir.path)/root", "address": "127.0.0.1", "port": \(port), "users": "\(users)",
             "passivePorts": "40000-40100", "logLevel": "info", "metricsAddress": "127.0.0.1:0"}
            """
        try config.write(toFile: dir.path + "/ftpd.json", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config", dir.path + "/ftpd.json"]
        let log = dir.url.appendingPathComponent("log")
        try Data().write(to: log)
        process.standardError = try FileHandle(forWritingTo: log)
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let curl = try requireTool("curl", package: "curl")
        var got = ProcessResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<50 {
            got = try await runProcess(curl, ["-sS", "ftp://carol:pa%20ss@127.0.0.1:\(port)/file.txt"])
            if got.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(got.status == 0 && got.stdout == "served", "\(got)")

        // Prometheus metrics and the health check, on the port ftpd logged.
        let logged = try String(contentsOf: log, encoding: .utf8)
        let metricsPort = logged.split(separator: "metrics_port=").dropFirst().first.map { $0.prefix { $0.isNumber } }
        let mport = try #require(metricsPort.flatMap { Int($0) }, "\(logged)")
        let metrics = try await runProcess(curl, ["-sS", "http://127.0.0.1:\(mport)/metrics"])
        for line in ["ftpd_bytes_sent_total 6", #"ftpd_logins_total{result="ok"} 1"#,
                     #"ftpd_transfers_total{direction="sent",result="complete"} 1"#, "ftpd_transfer_duration_seconds"] {
            #expect(metrics.stdout.contains(line), "missing \(line) in:\n\(metrics.stdout)")
        }
        let health = try await runProcess(curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(mport)/health"])
        #expect(health.stdout == "200", "\(health)")

        kill(process.processIdentifier, SIGTERM)
        var status: Int32 = -1
        for await s in exited.stream { status = s; break }
        #expect(status == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("shutting down") && text.contains("server stopped"), "\(text)")
        #expect(!text.contains("pa ss"), "the password must never be logged")
    }

    @Test(arguments: [
        (["--root", "/nonexistent-dir-xyz", "--anonymous"], "root"),
        (["--memory"], "nobody could log in"),
        (["--memory", "--anonymous", "--passive-ports", "9-2"], "passive ports"),
        (["--memory", "--anonymous", "--advertised-address", "not an ip"], "advertised address"),
        (["--memory", "--anonymous", "--advertised-address", "10.8.0.0/99=10.8.0.2"], "advertised address"),
        // The system's words, not Foundation's "The operation could not be completed. The file doesn’t exist."
        (["--config", "/nonexistent.json"], "cannot read configuration /nonexistent.json: No such file or directory"),
        (["--config", "/"], "cannot read configuration /: Is a directory"),
        (["--memory", "--users", "/nonexistent-users.json"], "cannot read users file /nonexistent-users.json: No such file or directory"),
        (["--memory", "--anonymous", "--tls-groups", "X25519"], "need --tls-cert"),
        (["--memory", "--anonymous", "--deny", "10.0.0.0/33"], "'10.0.0.0/33' is not an IP address or CIDR block"),
    ])
    func badOptionsAreExplained(_ args: [String], _ message: String) async throws {
        let r = try await runProcess(Self.binary, args, timeout: .seconds(30))
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r)")
    }

    /// ftpd listens on every event loop with SO_REUSEPORT, which would let a second ftpd of the same user share the
    /// port and take part of its connections. A second one is refused instead, in plain words, and the first one
    /// keeps every connection.
    @Test func aSecondServerOnTheSamePortIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (root, users) = try await Self.rootAndUser("dora", in: dir)
        try Data("first".utf8).write(to: URL(fileURLWithPath: root + "/which.txt"))
        let port = try freeTCPPort()
        let first = try Self.startServer(root: root, users: users, log: dir.path + "/first.log", port: port)
        defer { if first.isRunning { first.terminate() } }
        let curl = try requireTool("curl", package: "curl")
        let url = "ftp://dora:pw@127.0.0.1:\(port)/which.txt"
        try await Self.waitUntilServing(curl: curl, ["-sS", url], log: dir.path + "/first.log")

        let otherRoot = dir.path + "/other"
        try FileManager.default.createDirectory(atPath: otherRoot, withIntermediateDirectories: true)
        try Data("second".utf8).write(to: URL(fileURLWithPath: otherRoot + "/which.txt"))
        let second = try await runProcess(
            Self.binary, ["--root", otherRoot, "--users", users, "--address", "127.0.0.1", "--port", String(port)],
            timeout: .seconds(30))
        #expect(second.status != 0)
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(port): something already listens there"), "\(second)")
        // One sentence: a port held by someone else is not a usage mistake, so no usage text follows it.
        #expect(!second.stderr.contains("Usage:"), "\(second)")
        // Every connection still reaches the first server (each new client connection is spread by its address).
        for _ in 0..<8 {
            let got = try await runProcess(curl, ["-sS", url])
            #expect(got.status == 0 && got.stdout == "first", "\(got)")
        }
    }

    @Test func badConfigurationFilesAndTLSSettingsAreExplained() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let cert = try SelfSignedCertificate.generate(names: ["localhost"])
        try cert.certificatePEM.write(toFile: dir.path + "/c.pem", atomically: true, encoding: .utf8)
        try cert.privateKeyPEM.write(toFile: dir.path + "/k.pem", atomically: true, encoding: .utf8)
        let tls = #""memory": true, "anonymous": true, "tlsCert": "\#(dir.path)/c.pem", "tlsKey": "\#(dir.path)/k.pem""#
        let cases: [(String, String)] = [
            (#"{"memory": true, "anonymus": true}"#, "unknown option 'anonymus'"),
            ("[1, 2]", "must be a JSON object"),
            // A syntax slip is placed by line and column, in one sentence without the decoder's internals.
            ("{\n  \"memory\": true,\n  \"anonymous\": tru\n}", "is not valid JSON: invalid value at line 3, column "),
            (#"{"memory": true,"#, "it ends too early"),
            (#"{"memory": "yes"}"#, "wrong type for 'memory'"),
            // Valid JSON whose number its option cannot hold: named, not called invalid JSON.
            (#"{"memory": true, "anonymous": true, "port": 21.5}"#, "'port': 21.5 is not a whole number"),
            (#"{"memory": true, "anonymous": true, "maxSessions": 1e30}"#, "'maxSessions': 1e+30 is out of range"),
            ("{\(tls), \"tlsMinVersion\": \"1.1\"}", "must be 1.2 or 1.3"),
            ("{\(tls), \"tlsCipherSuites\": \"TLS_AES_256\"}", "invalid TLS 1.3 cipher suites"),
            ("{\(tls), \"tlsGroups\": \"P-999\"}", "invalid key exchange groups"),
            (#"{"memory": true, "anonymous": true, "quotaBytes": "lots"}"#, "'quotaBytes' is not a byte count"),
            (#"{"memory": true, "anonymous": true, "userDownloadRate": 100}"#, "bandwidth limits must be at least 1K per second"),
            // Zero is no "no limit": it would close every session as soon as it fell quiet.
            (#"{"memory": true, "anonymous": true, "idleTimeout": 0}"#, "the idle timeout must be longer than zero"),
            (#"{"memory": true, "anonymous": true, "shutdownGrace": -1}"#, "the shutdown grace period cannot be negative"),
            (#"{"memory": true, "anonymous": true, "passivePorts": "60000-50000"}"#, "LOW not above HIGH (50000-50100), got '60000-50000'"),
            (#"{"memory": true, "anonymous": true, "metricsAddress": "::1:9100"}"#, "(an IPv6 host in brackets: [::1]:9100), got '::1:9100'"),
        ]
        let flags = try await runProcess(Self.binary, ["--memory", "--anonymous", "--port", "0", "--max-upload-rate", "10X"], timeout: .seconds(30))
        #expect(flags.status != 0 && flags.stderr.contains("--max-upload-rate must be a byte count"), "\(flags)")
        for (i, (json, message)) in cases.enumerated() {
            let path = dir.path + "/c\(i).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await runProcess(Self.binary, ["--config", path, "--port", "0"], timeout: .seconds(30))
            #expect(r.status != 0, "\(json)")
            #expect(r.stderr.contains(message), "\(json): \(r)")
            #expect(!r.stderr.contains("DecodingError"), "\(json): \(r)")
            // A mistake inside the file is not a command-line mistake: one sentence, no usage text.
            if i < 5 { #expect(!r.stderr.contains("Usage:"), "\(json): \(r)") }
        }

        // Files named on the command line that cannot be used: what is wrong with each, in plain words (before,
        // OpenSSL's error codes and library names, "storage root /x" with no reason, and the usage text).
        let other = try SelfSignedCertificate.generate(names: ["localhost"])
        try other.privateKeyPEM.write(toFile: dir.path + "/other-k.pem", atomically: true, encoding: .utf8)
        try "junk\n".write(toFile: dir.path + "/junk.pem", atomically: true, encoding: .utf8)
        try String(cert.certificatePEM.prefix(200)).write(toFile: dir.path + "/cut.pem", atomically: true, encoding: .utf8)
        let anon = ["--memory", "--anonymous", "--port", "0"]
        let files: [([String], String)] = [
            (["--root", dir.path + "/missing", "--anonymous", "--port", "0"], "storage root \(dir.path)/missing: No such file or directory"),
            (["--root", dir.path + "/c.pem", "--anonymous", "--port", "0"], "storage root \(dir.path)/c.pem: Not a directory"),
            (anon + ["--tls-cert", dir.path + "/none.pem", "--tls-key", dir.path + "/k.pem"],
             "TLS: cannot load the certificate chain \(dir.path)/none.pem: No such file or directory"),
            (anon + ["--tls-cert", dir.path + "/junk.pem", "--tls-key", dir.path + "/k.pem"],
             "TLS: cannot load the certificate chain \(dir.path)/junk.pem: it is not PEM (no '-----BEGIN' line)"),
            (anon + ["--tls-cert", dir.path + "/cut.pem", "--tls-key", dir.path + "/k.pem"],
             "TLS: cannot load the certificate chain \(dir.path)/cut.pem: it is cut short or damaged"),
            (anon + ["--tls-cert", dir.path + "/c.pem", "--tls-key", dir.path + "/other-k.pem"],
             "TLS: cannot load the private key \(dir.path)/other-k.pem: it does not belong to the certificate"),
            (anon + ["--audit-log", dir.path + "/missing/audit.log"], "cannot open audit log \(dir.path)/missing/audit.log: No such file or directory"),
            (anon + ["--address", "nohost.invalid"], "cannot listen on nohost.invalid:0: not an address of this machine"),
            (anon + ["--metrics-address", "256.0.0.1:9"], "metrics: cannot listen on 256.0.0.1:9: not an address of this machine"),
        ]
        for (arguments, message) in files {
            let r = try await runProcess(Self.binary, arguments, timeout: .seconds(30))
            #expect(r.status == 1 && r.stderr.contains("Error: " + message), "\(arguments): \(r)")
            #expect(!r.stderr.contains("Usage:") && !r.stderr.contains("error:0"), "\(arguments): \(r)")
        }
    }

    /// `kill -9` mid-upload leaves the upload's temporary file; the next ftpd on that root removes it on start and
    /// logs it, while a temporary file another live process is writing (its lock held) stays.
    @Test func anUploadLeftByAKilledServerIsRemovedOnTheNextStart() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build ftpd first (swift build)")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (root, users) = try await Self.rootAndUser("dave", in: dir)
        try Data(count: 8 << 20).write(to: URL(fileURLWithPath: dir.path + "/big.bin"))

        func leftovers() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix(".seed-upload-") }
        }

        // A live upload of another process: an open, locked temporary file that must survive the next start.
        let liveName = ".seed-upload-livelivelive"
        let live = open(root + "/" + liveName, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(live >= 0 && flock(live, LOCK_EX | LOCK_NB) == 0)
        defer { close(live) }

        let port = try freeTCPPort()
        let first = try Self.startServer(root: root, users: users, log: dir.path + "/log1", port: port)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let curl = try requireTool("curl", package: "curl")
        let upload = Process()
        upload.executableURL = URL(fileURLWithPath: curl)
        upload.arguments = ["-sS", "--limit-rate", "200k", "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                            "-T", dir.path + "/big.bin", "ftp://dave:pw@127.0.0.1:\(port)/big.bin"]
        upload.standardError = FileHandle.nullDevice
        try upload.run()
        defer { if upload.isRunning { upload.terminate() } }
        try await eventually("an upload in progress") { leftovers().count == 2 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        upload.terminate()
        let abandoned = try #require(leftovers().first { $0 != liveName })

        let log = dir.path + "/log2"
        let second = try Self.startServer(root: root, users: users, log: log, port: try freeTCPPort())
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await eventually("the leftover removed") { !leftovers().contains(abandoned) }
        try await eventually("the removal logged") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("cleaned up an upload left by a process that stopped")
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains(abandoned), "\(text)")
        #expect(leftovers() == [liveName], "a live upload's file was removed")
        #expect(!FileManager.default.fileExists(atPath: root + "/big.bin"))
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
    }

    /// `kill -9` mid-APPE: the appended bytes were written in place, so the next start cuts the file back to its
    /// size before the upload (from the upload's journal) and removes a file the APPE had created.
    @Test func anAppendCutByAKilledServerIsUndoneOnTheNextStart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (root, users) = try await Self.rootAndUser("fay", in: dir)
        let original = Data("the original content\n".utf8)
        try original.write(to: URL(fileURLWithPath: root + "/kept.log"))
        try Data(count: 8 << 20).write(to: URL(fileURLWithPath: dir.path + "/big.bin"))
        func size(_ name: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: root + "/" + name)[.size] as? Int) ?? nil
        }
        let port = try freeTCPPort()
        let first = try Self.startServer(root: root, users: users, log: dir.path + "/log1", port: port)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let curl = try requireTool("curl", package: "curl")
        var uploads: [Process] = []
        defer { for u in uploads where u.isRunning { u.terminate() } }
        for name in ["kept.log", "created.log"] {
            let upload = Process()
            upload.executableURL = URL(fileURLWithPath: curl)
            upload.arguments = ["-sS", "--limit-rate", "200k", "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                                "--append", "-T", dir.path + "/big.bin", "ftp://fay:pw@127.0.0.1:\(port)/\(name)"]
            upload.standardError = FileHandle.nullDevice
            try upload.run()
            uploads.append(upload)
        }
        try await eventually("both appends under way") {
            (size("kept.log") ?? 0) > original.count + 100_000 && (size("created.log") ?? 0) > 100_000
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        for u in uploads { u.terminate() }
        #expect((size("kept.log") ?? 0) > original.count, "the appended bytes are on disk before the restart")

        let log = dir.path + "/log2"
        let second = try Self.startServer(root: root, users: users, log: log, port: try freeTCPPort())
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await eventually("the appends undone") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "cleaned up an upload").count == 3
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/kept.log")) == original)
        #expect(size("created.log") == nil, "the file the APPE created is removed")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".seed-upload-") }
        #expect(hidden.isEmpty, "\(hidden)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("cut /kept.log back to \(original.count) bytes"), "\(text)")
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
    }
}

/// `ftpd --audit-log`: one JSON line per login (ok or failed), transfer, rename, mkdir and delete, driven by curl;
/// the file is reopened on SIGHUP for rotation, and no password ever appears in it.
@Suite(.tags(.slow), .inTestSet(.slow)) struct FTPDAuditLogTests {
    @Test func auditLogRecordsWhatHappenedAndRotatesOnSIGHUP() async throws {
        let binary = Binaries.ftpd
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        let added = try await runProcess(binary, ["user", "add", "--users", users, "--iterations", "2000", "erin"], stdin: "pa ss\n")
        #expect(added.status == 0, "\(added)")
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        try Data("twelve bytes".utf8).write(to: URL(fileURLWithPath: dir.path + "/up.txt"))
        let audit = dir.path + "/audit.log"
        let port = try freeTCPPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--root", dir.path + "/root", "--users", users, "--address", "127.0.0.1", "--port", String(port),
                             "--audit-log", audit]
        let log = dir.path + "/stderr"
        try Data().write(to: URL(fileURLWithPath: log))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let curl = try requireTool("curl", package: "curl")
        let base = "ftp://127.0.0.1:\(port)"
        try await FTPDExecutableTests.waitUntilServing(curl: curl, ["-sS", "-u", "erin:pa ss", base + "/"], log: log)
        let wrong = try await runProcess(curl, ["-sS", "-u", "erin:wrong-pw", base + "/"])
        #expect(wrong.status != 0)
        for args in [
            ["-T", dir.path + "/up.txt", base + "/a.txt"],
            [base + "/a.txt"],
            ["-Q", "MKD sub", "-Q", "RNFR a.txt", "-Q", "RNTO sub/b.txt", "-Q", "SITE CHMOD 600 sub/b.txt", "-Q", "DELE sub/b.txt",
             base + "/"],
        ] {
            let r = try await runProcess(curl, ["-sS", "-u", "erin:pa ss"] + args)
            #expect(r.status == 0, "\(args): \(r)")
        }

        func records(_ path: String) throws -> [[String: Any]] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
            }
        }
        func find(_ all: [[String: Any]], _ event: String, _ path: String? = nil) -> [String: Any]? {
            all.first { $0["event"] as? String == event && (path == nil || $0["path"] as? String == path) }
        }
        // The rename and delete come from the last session: wait for its records (written off the session's path).
        try await eventually("the audit records") { (try? records(audit)).map { find($0, "delete") != nil } ?? false }
        let all = try records(audit)
        let failed = try #require(find(all, "login_failed"), "\(all)")
        #expect(failed["user"] as? String == "erin" && failed["address"] as? String == "127.0.0.1" && failed["result"] as? String == "failed")
        #expect(find(all, "login") != nil)
        let upload = try #require(find(all, "upload", "/a.txt"), "\(all)")
        #expect(upload["bytes"] as? Int == 12 && upload["result"] as? String == "ok" && upload["duration"] is Double)
        #expect(upload["sha256"] == nil, "digests are computed only with --audit-sha256")
        let download = try #require(find(all, "download", "/a.txt"), "\(all)")
        #expect(download["bytes"] as? Int == 12 && download["user"] as? String == "erin")
        #expect(find(all, "mkdir", "/sub")?["result"] as? String == "ok")
        #expect(find(all, "rename", "/a.txt")?["to"] as? String == "/sub/b.txt")
        #expect(find(all, "delete", "/sub/b.txt")?["result"] as? String == "ok")
        let chmod = try #require(find(all, "chmod", "/sub/b.txt"), "\(all)")
        #expect(chmod["mode"] as? String == "600" && chmod["result"] as? String == "ok")
        #expect(all.allSatisfy { ($0["time"] as? String)?.hasPrefix("20") == true })
        let text = try String(contentsOfFile: audit, encoding: .utf8)
        #expect(!text.contains("pa ss") && !text.contains("wrong-pw"), "a password reached the audit log")

        // Rotation: rename the file, SIGHUP, and new records go to a new file at the same path.
        try FileManager.default.moveItem(atPath: audit, toPath: audit + ".1")
        kill(process.processIdentifier, SIGHUP)
        try await eventually("the audit log reopened") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("audit log reopened")
        }
        let again = try await runProcess(curl, ["-sS", "-u", "erin:pa ss", base + "/sub/"])
        #expect(again.status == 0)
        try await eventually("a record in the new file") { ((try? records(audit)) ?? []).contains { $0["event"] as? String == "login" } }
        #expect(try records(audit + ".1").count == all.count, "a record went to the rotated file")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// `--audit-sha256`: uploads (binary and ASCII, whose stored bytes are hashed) and downloads carry the SHA-256
    /// of their bytes, the same one `HASH` reports for the stored file; an incomplete transfer carries none.
    @Test func auditSHA256RecordsEachTransfersDigest() async throws {
        let binary = Binaries.ftpd
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        let content = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try content.write(to: URL(fileURLWithPath: dir.path + "/up.bin"))
        // curl sends it with CRLF line ends in ASCII mode; the server stores local (LF) ones.
        try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/up.txt"))
        func sha256(_ data: Data) -> String {
            let digest = Digest(.sha256)
            data.withUnsafeBytes { digest.update($0) }
            return digest.finalizeHex()
        }
        let users = dir.path + "/users.json"
        let added = try await runProcess(binary, ["user", "add", "--users", users, "--iterations", "2000", "gil"], stdin: "pw\n")
        #expect(added.status == 0, "\(added)")
        let audit = dir.path + "/audit.log"
        let port = try freeTCPPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--root", dir.path + "/root", "--users", users, "--address", "127.0.0.1", "--port", String(port),
                             "--audit-log", audit, "--audit-sha256"]
        let log = dir.path + "/stderr"
        try Data().write(to: URL(fileURLWithPath: log))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let curl = try requireTool("curl", package: "curl")
        let base = "ftp://127.0.0.1:\(port)"
        try await FTPDExecutableTests.waitUntilServing(curl: curl, ["-sS", "-u", "gil:pw", base + "/"], log: log)
        for args in [
            ["-T", dir.path + "/up.bin", base + "/a.bin"],
            ["-o", dir.path + "/down.bin", base + "/a.bin"],
            ["--use-ascii", "-T", dir.path + "/up.txt", base + "/t.txt"],
            ["-r", "0-99", "-o", "/dev/null", base + "/a.bin"],
        ] {
            let r = try await runProcess(curl, ["-sS", "-u", "gil:pw"] + args)
            #expect(r.status == 0, "\(args): \(r)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/down.bin")) == content)
        let stored = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/root/t.txt"))
        #expect(stored == Data("one\ntwo\n".utf8), "ASCII upload stored with local line ends")

        func records() throws -> [[String: Any]] {
            try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
            }
        }
        try await eventually("four transfer records") {
            ((try? records()) ?? []).filter { ["upload", "download"].contains($0["event"] as? String) }.count >= 4
        }
        let all = try records()
        let transfers = all.filter { ["upload", "download"].contains($0["event"] as? String) }
        let upload = try #require(transfers.first { $0["event"] as? String == "upload" && $0["path"] as? String == "/a.bin" })
        #expect(upload["sha256"] as? String == sha256(content))
        let download = try #require(transfers.first { $0["event"] as? String == "download" && $0["bytes"] as? Int == content.count })
        #expect(download["sha256"] as? String == sha256(content))
        let ascii = try #require(transfers.first { $0["path"] as? String == "/t.txt" })
        #expect(ascii["sha256"] as? String == sha256(stored))
        // curl's range download closes the data connection after 100 bytes; unless the server had already sent
        // everything into the socket (then it is a complete download), the record is incomplete and has no digest.
        let partial = try #require(transfers.last { $0["event"] as? String == "download" }, "\(transfers)")
        if partial["result"] as? String != "ok" {
            #expect(partial["sha256"] == nil, "\(partial)")
        } else {
            #expect(partial["sha256"] as? String == sha256(content), "\(partial)")
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    @Test func auditSHA256WithoutAnAuditLogIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let r = try await runProcess(Binaries.ftpd, ["--root", dir.path, "--anonymous", "--port", "0", "--audit-sha256"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--audit-sha256 needs --audit-log"), "\(r)")
    }
}
