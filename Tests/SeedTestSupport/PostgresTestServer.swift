public import Foundation
import Synchronization

/// A throwaway PostgreSQL server from Debian's `postgresql` package, for tests: `initdb` into a temporary
/// directory (as the `postgres` user through `runuser` when the tests run as root, since the server refuses to run
/// as root), a free loopback port, its socket in that directory. Connections over TCP need the password (SCRAM);
/// over the socket they are trusted. ``stop()`` shuts it down and removes everything.
///
/// The server runs as our direct child (`setpriv` changes the user and execs, no fork in between): `pg_ctl start`
/// would leave a daemon holding the descriptor through which Foundation learns that its parent exited, and the
/// wait for `pg_ctl` would never end.
public final class PostgresTestServer: Sendable {
    public let user = "seed"
    public let password: String
    public let port: Int
    /// Holds the server's socket (`.s.PGSQL.PORT`) and its data.
    public let directory: String
    private let binaries: String
    private let asPostgres: Bool
    /// With TLS: the server's self-signed certificate (for `sslrootcert`), valid for 127.0.0.1.
    public let certificate: String?
    private let process = Mutex<Process?>(nil)

    /// Where Debian installs the newest server's programs; `nil` when none is installed.
    public static var binaryDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/initdb")
        }
    }

    /// Whether tests that need a server can run; under `CI=true` they run regardless, and fail when none is there.
    public static var isAvailable: Bool {
        Self.binaryDirectory != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    private init(password: String, port: Int, directory: String, binaries: String, asPostgres: Bool, certificate: String?) {
        self.certificate = certificate
        self.password = password
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.asPostgres = asPostgres
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Creates and starts a server (a few seconds).
    /// `tls`: the server also offers TLS, with a fresh self-signed certificate for 127.0.0.1 (``certificate``).
    public static func start(tls: Bool = false) async throws -> PostgresTestServer {
        guard let binaries = Self.binaryDirectory else {
            throw Failure(description: "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): run scripts/setup")
        }
        let asPostgres = getuid() == 0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let password = UUID().uuidString
        try Data(password.utf8).write(to: URL(fileURLWithPath: directory + "/pwfile"))
        if asPostgres {
            guard let pw = getpwnam("postgres") else { throw Failure(description: "there is no postgres user to run the server as") }
            for path in [directory, directory + "/pwfile"] { chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        }
        var certificate: String?
        if tls {
            let made = try await Command.run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", directory + "/server.key", "-out", directory + "/server.crt", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
            guard made.status == 0 else { throw Failure(description: "openssl req: \(made.stderr)") }
            chmod(directory + "/server.key", 0o600)
            if asPostgres, let pw = getpwnam("postgres") {
                for file in ["server.key", "server.crt"] { chown(directory + "/" + file, pw.pointee.pw_uid, pw.pointee.pw_gid) }
            }
            certificate = directory + "/server.crt"
        }
        let server = PostgresTestServer(
            password: password, port: 0, directory: directory, binaries: binaries, asPostgres: asPostgres,
            certificate: certificate)
        let initdb = try await Command.run(server.wrap([
            binaries + "/initdb", "-D", directory + "/data", "-U", "seed", "--pwfile=" + directory + "/pwfile",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ]))
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw Failure(description: "initdb failed: \(initdb.stderr)")
        }
        // A port another process takes between our probe and the server's bind fails the start: try another.
        var lastError = ""
        for _ in 0..<5 {
            let port = try freeTCPPort()
            let started = PostgresTestServer(
                password: password, port: port, directory: directory, binaries: binaries, asPostgres: asPostgres,
                certificate: certificate)
            if let error = try await started.launch() { lastError = error } else { return started }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw Failure(description: "the server did not start: \(lastError)")
    }

    /// Starts the server and waits until it accepts connections; the error text if it does not.
    private func launch() async throws -> String? {
        let log = self.directory + "/server-\(self.port).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = self.wrap([
            self.binaries + "/postgres", "-D", self.directory + "/data", "-p", "\(self.port)", "-k", self.directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "synchronous_commit=off", "-c", "max_connections=200",
        ] + (self.certificate == nil ? [] : [
            "-c", "ssl=on", "-c", "ssl_cert_file=\(self.directory)/server.crt",
            "-c", "ssl_key_file=\(self.directory)/server.key",
        ]))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        let running = process
        self.process.withLock { $0 = running }
        do {
            try await eventually("PostgreSQL on port \(self.port) to accept connections", timeout: .seconds(60), interval: .milliseconds(100)) {
                guard self.isRunning else { throw Failure(description: "it exited") }
                let ready = try await Command.run([self.binaries + "/pg_isready", "-q", "-h", self.directory, "-p", "\(self.port)"])
                return ready.status == 0
            }
            return nil
        } catch {
            await self.terminate()
            return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") + " (\(error))"
        }
    }

    private var isRunning: Bool { self.process.withLock { $0?.isRunning ?? false } }

    /// SIGINT is PostgreSQL's fast shutdown: sessions are cut, the data stays consistent.
    private func terminate() async {
        guard let pid = self.process.withLock({ $0?.processIdentifier }) else { return }
        kill(pid, SIGINT)
        if (try? await eventually("PostgreSQL to stop", timeout: .seconds(30), { !self.isRunning })) == nil {
            kill(pid, SIGKILL)
            try? await eventually("PostgreSQL to be killed", { !self.isRunning })
        }
    }

    /// Stops the server as an operator's restart does (fast shutdown: every session is cut) and starts it again on
    /// the same port with the same data.
    public func restart() async throws {
        await self.terminate()
        if let error = try await self.launch() { throw Failure(description: "the server did not start again: \(error)") }
    }

    /// Fast shutdown (open sessions are cut), then the directory goes.
    public func stop() async {
        await self.terminate()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// The postmaster's process id (to kill it as a crash would).
    public var serverProcessID: pid_t? {
        guard let text = try? String(contentsOfFile: self.directory + "/data/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    /// `postgres://seed@127.0.0.1:PORT/DATABASE` (the password is given separately).
    public func url(database: String = "postgres") -> String { "postgres://seed@127.0.0.1:\(self.port)/\(database)" }

    /// Runs SQL through psql over the socket; returns its output (unaligned, tuples only).
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        let out = try await Command.run([
            self.binaries + "/psql", "-h", self.directory, "-p", "\(self.port)", "-U", "seed", "-d", database,
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ])
        guard out.status == 0 else { throw Failure(description: "psql: \(out.stderr)") }
        return out.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new, empty database.
    public func createDatabase(_ name: String) async throws {
        _ = try await self.psql("CREATE DATABASE \"\(name)\"")
    }

    private func wrap(_ arguments: [String]) -> [String] {
        self.asPostgres ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + arguments : arguments
    }
}
