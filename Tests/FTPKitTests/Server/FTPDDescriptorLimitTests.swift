import FTPKit
import Foundation
import SeedTestSupport
import Testing

/// `ftpd` against its open-files limit: it raises the soft limit to the hard one, says when even that holds fewer
/// sessions than its session limit, and when descriptors run out it keeps new clients waiting without spinning,
/// logs why once, and serves them as soon as sessions end.
@Suite(.tags(.interop), .inTestSet(.interop)) struct FTPDDescriptorLimitTests {
    /// ftpd under `prlimit --nofile=LIMITS`, anonymous on an empty root, its log (info) in `log`, serving.
    struct Running {
        let dir: TemporaryDirectory
        let server: Process
        let log: String
        let port: Int

        init(limits: String, extra: [String]) async throws {
            self.dir = try TemporaryDirectory()
            let root = self.dir.path + "/root"
            self.log = self.dir.path + "/ftpd.log"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            self.port = try freeTCPPort()
            let prlimit = try requireTool("prlimit", package: "util-linux")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: prlimit)
            process.arguments = ["--nofile=\(limits)", FTPDExecutableTests.binary, "--root", root, "--anonymous",
                                 "--address", "127.0.0.1", "--port", String(self.port), "--log-level", "info"] + extra
            try Data().write(to: URL(fileURLWithPath: self.log))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: self.log))
            try process.run()
            self.server = process
            let curl = try requireTool("curl", package: "curl")
            try await FTPDExecutableTests.waitUntilServing(curl: curl, ["-sS", "ftp://127.0.0.1:\(self.port)/"], log: self.log)
        }

        /// What ftpd has logged so far.
        func logged() throws -> String { try String(contentsOfFile: self.log, encoding: .utf8) }

        func stop() {
            if self.server.isRunning { self.server.terminate() }
            self.dir.cleanup()
        }
    }

    /// The soft open-files limit of process `pid`.
    static func softLimit(of pid: Int32) throws -> Int? {
        let limits = try #require(procFileText("/proc/\(pid)/limits"))
        guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first.flatMap { Int($0) }
    }

    @Test func raisesTheSoftLimitAndWarnsWhenTheHardOneIsShort() async throws {
        let ftpd = try await Running(limits: "256:4096", extra: ["--max-sessions", "5000", "--max-per-ip", "5000"])
        defer { ftpd.stop() }
        #expect(try Self.softLimit(of: ftpd.server.processIdentifier) == 4096)
        let text = try ftpd.logged()
        #expect(text.contains("raised the open-files limit"), "\(text)")
        #expect(text.contains("from=256") && text.contains("to=4096"), "\(text)")
        #expect(text.contains("the open-files limit (4096) holds about 4032 sessions, fewer than the session limit of 5000"),
                "\(text)")
    }

    @Test func aLimitThatHoldsTheSessionsIsRaisedSilently() async throws {
        let ftpd = try await Running(limits: "256:8192", extra: ["--max-sessions", "100"])
        defer { ftpd.stop() }
        #expect(try Self.softLimit(of: ftpd.server.processIdentifier) == 8192)
        let text = try ftpd.logged()
        #expect(!text.contains("fewer than the session limit"), "\(text)")
    }

    /// The hard limit is the soft one, so nothing can be raised: past it, clients must wait, not be lost.
    @Test func runningOutOfDescriptorsKeepsClientsWaitingWithoutSpinning() async throws {
        let ftpd = try await Running(limits: "256:256", extra: ["--max-sessions", "5000", "--max-per-ip", "5000"])
        defer { ftpd.stop() }
        let startup = try ftpd.logged()
        #expect(startup.contains("the open-files limit (256) holds about 192 sessions, fewer than the session limit of 5000"),
                "\(startup)")

        let python = try requireTool("python3", package: "python3")
        let result = try await runProcess(
            python, [peersDirectory.appendingPathComponent("descriptor_shortage.py").path, "127.0.0.1", String(ftpd.port),
                     String(ftpd.server.processIdentifier), ftpd.log],
            timeout: .seconds(120))
        #expect(result.status == 0 && result.stdout.contains("ok"), "\(result)")
    }
}
