import FTPKit
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A problem with the test environment, said plainly.
struct TestEnvironmentError: Error, CustomStringConvertible {
    var description: String
}

/// Finds a peer program. The test command installs every peer, so a missing one is a failure (never a skip):
/// CI must not pass without having talked to the real thing.
func requireTool(_ name: String, package: String) throws -> String {
    let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let dirs: [String] = searchPath.components(separatedBy: ":") + ["/usr/sbin", "/sbin"]
    for dir in dirs {
        let path = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw TestEnvironmentError(description: "'\(name)' is not installed: run scripts/setup (apt-get install \(package))")
}

struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs a program without blocking a cooperative thread; output goes through files so a chatty child can never
/// fill a pipe and hang. The child is killed after `timeout`.
func runProcess(
    _ executable: String, _ arguments: [String], stdin: String? = nil, directory: URL? = nil,
    timeout: Duration = .seconds(120)
) async throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
    try Data().write(to: out)
    try Data().write(to: err)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let input = Pipe()
    process.standardInput = input
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let pid = process.processIdentifier
        Task {
            try? await Task.sleep(for: timeout)
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
    return ProcessResult(
        status: status, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// A fresh temporary directory, removed by `cleanup()` or, at the latest, when the last reference goes: a test that
/// throws half-way (or forgets its `defer`) leaves nothing behind in the machine's temporary directory.
final class TemporaryDirectory: Sendable {
    let url: URL
    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("seed-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }
    deinit { self.cleanup() }
    var path: String { self.url.path }
    func cleanup() { try? FileManager.default.removeItem(at: self.url) }
}

/// An in-process FTPServer on an ephemeral loopback port over a temporary directory.
final class TestFTPServer: Sendable {
    let server: FTPServer
    let directory: TemporaryDirectory
    let task: Task<Void, any Error>
    /// The service group running the server, when started in one.
    let group: ServiceGroup?
    var port: Int { self.server.localPort }
    var root: URL { self.directory.url.appendingPathComponent("root") }

    static let user = "alice"
    static let password = "s3cret pass"

    private init(server: FTPServer, directory: TemporaryDirectory, inServiceGroup: Bool) {
        self.server = server
        self.directory = directory
        if inServiceGroup {
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [server], logger: Logger(label: "test-service-group")))
            self.group = group
            self.task = Task { try await group.run() }
        } else {
            self.group = nil
            self.task = Task { try await server.run() }
        }
    }

    static func start(
        inServiceGroup: Bool = false, _ configure: (inout FTPServerConfiguration) -> Void = { _ in }
    ) async throws -> TestFTPServer {
        let dir = try TemporaryDirectory()
        let root = dir.url.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var config = FTPServerConfiguration(
            host: "127.0.0.1", port: 0, storage: try LocalFileStorage(root: root.path),
            authenticator: StaticAuthenticator([(user, password, .all)]))
        config.loginFailureDelay = .milliseconds(50)
        config.dataTimeout = .seconds(20)
        configure(&config)
        var logger = Logger(label: "test-ftpd")
        logger.logLevel = ProcessInfo.processInfo.environment["SEED_TEST_LOG"] != nil ? .debug : .critical
        let server = try await FTPServer.bind(configuration: config, logger: logger)
        return TestFTPServer(server: server, directory: dir, inServiceGroup: inServiceGroup)
    }

    func stop() async {
        await self.server.shutdown(gracePeriod: .seconds(2))
        _ = try? await self.task.value
        self.directory.cleanup()
    }

    var url: String {
        let pw = Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? Self.password
        return "ftp://\(Self.user):\(pw)@127.0.0.1:\(self.port)"
    }

    func write(_ name: String, _ contents: Data) throws {
        let url = self.root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url)
    }

    func read(_ name: String) -> Data? { try? Data(contentsOf: self.root.appendingPathComponent(name)) }

    /// Everything in the root, recursively, including hidden files (to catch leftover temporary uploads).
    func allFiles() -> [String] {
        let e = FileManager.default.enumerator(atPath: self.root.path)
        var names: [String] = []
        while let n = e?.nextObject() as? String { names.append(n) }
        return names.sorted()
    }
}

/// Runs `body` with a started server and always stops it.
func withServer(
    _ configure: (inout FTPServerConfiguration) -> Void = { _ in }, _ body: (TestFTPServer) async throws -> Void
) async throws {
    let server = try await TestFTPServer.start(configure)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Runs `body` with a server that has FTPS on (a self-signed certificate for localhost and 127.0.0.1, whose path
/// is passed along for clients to trust) and always stops it.
func withTLSServer(
    policy: FTPTLSPolicy = .required, reuse: Bool = true, closeNotify: Bool = true,
    tls: (inout TLSConfiguration) -> Void = { _ in },
    _ body: (TestFTPServer, String) async throws -> Void
) async throws {
    let keys = try TemporaryDirectory()
    defer { keys.cleanup() }
    let (cert, key) = try await OpenSSLHandlerTests.certificate(in: keys)
    var settings = TLSConfiguration.server(certificateChainPath: cert, privateKeyPath: key)
    tls(&settings)
    try await withServer({
        $0.tls = settings
        $0.tlsPolicy = policy
        $0.requireTLSSessionReuse = reuse
        $0.requireTLSCloseNotify = closeNotify
    }) { server in try await body(server, cert) }
}

/// Random bytes from one system seed stretched with SplitMix64. Drawing every 8 bytes from the system generator
/// cost a getrandom(2) call each: the 100 MB and 40 MB files of a few tests took seconds of CPU on the two threads
/// of the cooperative pool, and every other test's timers and clients starved meanwhile (measured with perf: 27% of
/// the test process's first 25 s).
func randomData(_ count: Int) -> Data {
    var state = UInt64.random(in: .min ... .max)
    var d = Data(count: count)
    d.withUnsafeMutableBytes { raw in
        var i = 0
        while i < raw.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if i + 8 <= raw.count {
                raw.storeBytes(of: z, toByteOffset: i, as: UInt64.self)
            } else {
                for j in i..<raw.count { raw[j] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(j - i))) }
            }
            i += 8
        }
    }
    return d
}

/// The directory of the Python peer scripts.
let peersDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Peers")

/// Runs a Python peer script with the server's address; it prints what failed and exits non-zero.
func runPython(_ script: String, _ server: TestFTPServer, _ extra: [String] = []) async throws -> ProcessResult {
    let python = try requireTool("python3", package: "python3")
    return try await runProcess(
        python, [peersDirectory.appendingPathComponent(script).path, "127.0.0.1", String(server.port),
            TestFTPServer.user, TestFTPServer.password, server.root.path] + extra)
}
