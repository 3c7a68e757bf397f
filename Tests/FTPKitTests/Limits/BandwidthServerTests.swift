import FTPKit
import Foundation
import Testing
import SeedTestSupport

/// Rate limits through the whole server with Python's ftplib (`Tests/Peers/bandwidth.py`). Only lower bounds on
/// time are checked — a limited transfer can never be faster than its rate allows, and a slow machine only makes
/// it slower — so the checks hold on any machine.
@Suite(.tags(.interop), .inTestSet(.interop)) struct BandwidthServerTests {
    static let rate: UInt64 = 256 * 1024
    static let size = 384 * 1024

    /// When each job started and ended, on one clock.
    struct Span {
        var start: Double, end: Double
        var seconds: Double { self.end - self.start }
    }

    func run(_ server: TestFTPServer, _ jobs: [String]) async throws -> [Span] {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, [
            peersDirectory.appendingPathComponent("bandwidth.py").path, "127.0.0.1", String(server.port),
        ] + jobs)
        #expect(r.status == 0, "\(r)")
        return r.stdout.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ").compactMap { Double($0) }
            return parts.count == 2 ? Span(start: parts[0], end: parts[1]) : nil
        }
    }

    /// The checks that hold however late a loaded machine starts either job: together they moved twice the bytes
    /// through one rate (the pair's span at least 2 × 1.5 s less the burst), and neither beat the rate alone
    /// (each at least 1.5 s less the burst).
    func expectPaced(_ spans: [Span], _ comment: String = "") {
        #expect(spans.count == 2, "\(spans)")
        guard let first = spans.map(\.start).min(), let last = spans.map(\.end).max() else { return }
        #expect(last - first >= 2.2, "the pair took \(last - first) s: \(spans.map(\.seconds))")
        #expect(spans.allSatisfy { $0.seconds >= 1.1 }, "\(spans.map(\.seconds))")
    }

    static func users(_ entries: [UsersFile.Entry]) -> UsersFileAuthenticator {
        UsersFileAuthenticator(file: UsersFile(entries: entries))
    }

    /// Two sessions of one user share the user's rate: 2 × 384 KiB at 256 KiB/s takes 3 s however they overlap,
    /// and neither goes faster than the rate alone allows (1.5 s). Downloads go through `sendfile`, which is paced
    /// too; uploads are paced by not reading the socket.
    @Test(arguments: ["RETR", "STOR"])
    func aUsersSessionsShareTheirRateFairly(verb: String) async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        let limited = UsersFile.Entry(
            name: "u", password: hash, uploadRate: FTPByteSize(Self.rate), downloadRate: FTPByteSize(Self.rate))
        try await withServer({ $0.authenticator = Self.users([limited]) }) { server in
            try server.write("a.bin", randomData(Self.size))
            try server.write("b.bin", randomData(Self.size))
            self.expectPaced(try await self.run(server, ["u:pw:\(verb):a.bin:\(Self.size)", "u:pw:\(verb):b.bin:\(Self.size)"]))
        }
    }

    /// The server's rate is shared by different users; ASCII downloads (read and converted, not `sendfile`) are
    /// paced as well.
    @Test func theServersRateIsSharedByEveryone() async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        try await withServer({
            $0.authenticator = Self.users([.init(name: "a", password: hash), .init(name: "b", password: hash)])
            $0.bandwidth = FTPBandwidthLimits(downloadBytesPerSecond: Self.rate)
        }) { server in
            try server.write("a.bin", randomData(Self.size))
            try server.write("t.txt", Data(repeating: UInt8(ascii: "a"), count: Self.size))
            self.expectPaced(try await self.run(server, ["a:pw:RETR:a.bin:\(Self.size)", "b:pw:RETR:t.txt:\(Self.size):A"]))
        }
    }

    @Test func ratesMustBeSensible() {
        var config = FTPServerConfiguration(storage: MemoryStorage(), authenticator: StaticAuthenticator([]))
        config.userBandwidth = FTPBandwidthLimits(uploadBytesPerSecond: 100)
        #expect(throws: FTPConfigurationError("bandwidth limits must be at least 1K per second, got 100")) { try config.validate() }
    }
}
