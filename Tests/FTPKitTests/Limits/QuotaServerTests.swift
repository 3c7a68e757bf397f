import FTPKit
import Foundation
import Testing
import SeedTestSupport

/// Quotas through the whole server, driven by a client nobody here wrote (Python's ftplib): see
/// `Tests/Peers/quota.py` for the answers it expects.
@Suite(.tags(.interop), .inTestSet(.interop)) struct QuotaServerTests {
    @Test func uploadsPastTheQuotaAreRefusedWithoutLosingAnything() async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        let file = UsersFile(entries: [
            .init(name: "q", password: hash, root: "/q", quotaBytes: FTPByteSize(1 << 20), quotaFiles: 3),
        ])
        try await withServer({ $0.authenticator = UsersFileAuthenticator(file: file) }) { server in
            try server.write("q/old.bin", randomData(300_000))
            // Files outside the user's root do not count.
            try server.write("other/huge.bin", randomData(2_000_000))
            let python = try requireTool("python3", package: "python3")
            let r = try await runProcess(python, [
                peersDirectory.appendingPathComponent("quota.py").path, "127.0.0.1", String(server.port), "q", "pw",
                server.root.path,
            ])
            #expect(r.status == 0 && r.stdout.contains("ok"), "\(r)")
            // What is on disk stays within the quota, and no refused upload left a temporary file.
            let names = try FileManager.default.contentsOfDirectory(atPath: server.root.path + "/q")
            #expect(!names.contains { $0.hasPrefix(".") }, "\(names)")
            let bytes = try names.reduce(UInt64(0)) {
                $0 + ((try FileManager.default.attributesOfItem(atPath: server.root.path + "/q/" + $1)[.size] as? UInt64) ?? 0)
            }
            #expect(bytes <= 1 << 20 && names.count <= 3, "\(names): \(bytes) bytes")
        }
    }

    /// The server's default quota applies to users without their own; an unlimited user is not counted.
    @Test func theDefaultQuotaAndItsAVBL() async throws {
        try await withServer({ $0.defaultQuota = FTPQuota(bytes: 5000) }) { server in
            try server.write("f.bin", randomData(1000))
            let r = try await Self.ftplib(server, """
                print(f.sendcmd("AVBL"))
                try:
                    f.storbinary("STOR g.bin", io.BytesIO(b"x" * 4001))
                except ftplib.error_perm as e:
                    print(str(e)[:3])
                print(f.storbinary("STOR g.bin", io.BytesIO(b"x" * 4000))[:3])
                print(f.sendcmd("AVBL"))
                """)
            #expect(r.stdout == "213 4000\n552\n226\n213 0\n", "\(r)")
        }
    }

    /// Sparse files on tmpfs hold up to 2^63 − 1 bytes each, so a user's files can add up past 64 bits: the login
    /// counts them (saturating) and the quota answers, where the sum trapped and took the whole server down.
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "no /dev/shm"))
    func filesOfExabytesCountAgainstTheQuotaWithoutTrapping() async throws {
        let root = "/dev/shm/quota-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["a.bin", "b.bin", "c.bin"] {
            #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: nil))
            #expect(truncate(root + "/" + name, off_t.max) == 0)
        }
        try await withServer({
            $0.storage = try! LocalFileStorage(root: root)
            $0.defaultQuota = FTPQuota(bytes: 10 << 30)
        }) { server in
            let r = try await Self.ftplib(server, """
                print(f.sendcmd("AVBL"))
                try:
                    f.storbinary("STOR g.bin", io.BytesIO(b"x"))
                except ftplib.error_perm as e:
                    print(str(e)[:3])
                f.sendcmd("DELE a.bin")
                f.sendcmd("DELE b.bin")
                f.sendcmd("DELE c.bin")
                print(f.storbinary("STOR g.bin", io.BytesIO(b"x" * 10))[:3])
                print(f.sendcmd("AVBL"))
                """)
            #expect(r.stdout == "213 0\n552\n226\n213 \((10 << 30) - 10)\n", "\(r)")
        }
    }

    /// Runs `script` with Python's ftplib, `f` logged in to `server` as the test user.
    static func ftplib(_ server: TestFTPServer, _ script: String) async throws -> ProcessResult {
        let python = try requireTool("python3", package: "python3")
        return try await runProcess(python, ["-c", """
            import ftplib, io
            f = ftplib.FTP(); f.connect("127.0.0.1", \(server.port), timeout=60)
            f.login("\(TestFTPServer.user)", "\(TestFTPServer.password)")
            """ + "\n" + script])
    }

    @Test func badQuotasAndRatesInTheUsersFileNameTheirEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        func load(_ fields: String) throws -> UsersFile {
            try #"{"users": [{"name": "a", "password": "\#(hash)", \#(fields)}]}"#
                .write(toFile: dir.path + "/u.json", atomically: true, encoding: .utf8)
            return try UsersFile(contentsOf: dir.path + "/u.json")
        }
        let good = try load(#""quotaBytes": "10M", "quotaFiles": 100, "uploadRate": 65536, "downloadRate": "1M""#)
        #expect(good.entries[0].quota == FTPQuota(bytes: 10 << 20, files: 100))
        #expect(good.entries[0].bandwidth == FTPBandwidthLimits(uploadBytesPerSecond: 65536, downloadBytesPerSecond: 1 << 20))
        #expect(throws: FTPConfigurationError(
            "users file \(dir.path)/u.json is not valid: .users[0].quotaBytes: not a byte count (write a number, or one like 512K, 10M, 2G)"
        )) { _ = try load(#""quotaBytes": "ten megs""#) }
        try "{\"users\": [\n  {\"name\": \"a\" \"password\": \"x\"}\n]}".write(toFile: dir.path + "/u.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try UsersFile(contentsOf: dir.path + "/u.json")
        } throws: { error in
            "\(error)".hasPrefix("users file \(dir.path)/u.json is not valid JSON: ") && "\(error)".contains(" at line 2, column ")
        }
        #expect(throws: FTPConfigurationError("users file \(dir.path)/u.json is not valid: users[0].quotaFiles: 2.5 is not a whole number")) {
            _ = try load(#""quotaFiles": 2.5"#)
        }
        #expect(throws: FTPConfigurationError("users file \(dir.path)/u.json, entry 1 ('a'): uploadRate must be at least 1K per second")) {
            _ = try load(#""uploadRate": 10"#)
        }
    }
}
