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

    func run(_ server: TestFTPServer, _ jobs: [String]) async throws -> [Double] {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, [
            peersDirectory.appendingPathComponent("bandwidth.py").path, "127.0.0.1", String(server.port),
        ] + jobs)
        #expect(r.status == 0, "\(r)")
        return r.stdout.split(separator: "\n").compactMap { Double($0) }
    }

    static func users(_ entries: [UsersFile.Entry]) -> UsersFileAuthenticator {
        UsersFileAuthenticator(file: UsersFile(entries: entries))
    }

    /// Two sessions of one user share the user's rate, in turns: 2 × 384 KiB at 256 KiB/s is 3 s, and neither
    /// finishes early (served one after the other, the first would be done in 1.5 s). Downloads go through
    /// `sendfile`, which is paced too; uploads are paced by not reading the socket.
    @Test(arguments: ["RETR", "STOR"])
    func aUsersSessionsShareTheirRateFairly(verb: String) async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        let limited = UsersFile.Entry(
            name: "u", password: hash, uploadRate: FTPByteSize(Self.rate), downloadRate: FTPByteSize(Self.rate))
        try await withServer({ $0.authenticator = Self.users([limited]) }) { server in
            try server.write("a.bin", randomData(Self.size))
            try server.write("b.bin", randomData(Self.size))
            let times = try await self.run(server, ["u:pw:\(verb):a.bin:\(Self.size)", "u:pw:\(verb):b.bin:\(Self.size)"])
            #expect(times.count == 2 && times.allSatisfy { $0 >= 2.2 }, "\(times)")
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
            let times = try await self.run(server, ["a:pw:RETR:a.bin:\(Self.size)", "b:pw:RETR:t.txt:\(Self.size):A"])
            #expect(times.count == 2 && times.allSatisfy { $0 >= 2.2 }, "\(times)")
        }
    }

    @Test func ratesMustBeSensible() {
        var config = FTPServerConfiguration(storage: MemoryStorage(), authenticator: StaticAuthenticator([]))
        config.userBandwidth = FTPBandwidthLimits(uploadBytesPerSecond: 100)
        #expect(throws: FTPConfigurationError("bandwidth limits must be at least 1K per second, got 100")) { try config.validate() }
    }
}
