import FTPKit
import Foundation
import Testing
import SeedTestSupport

/// Per-user session limits next to the per-address one: a user's sessions count from any address, the login
/// over the limit gets 421, and a slot comes back when a session ends.
@Suite(.tags(.interop), .inTestSet(.interop)) struct UserSessionLimitTests {
    /// Logs `plan` in order with ftplib, each letter a user ("a" or "b"), keeping every session open; `-` closes
    /// the oldest open one. Prints each login's reply code.
    func run(_ server: TestFTPServer, _ plan: [String]) async throws -> [String] {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, ["-c", """
            import ftplib, sys
            open_sessions = []
            for step in sys.argv[1:]:
                if step == "-":
                    open_sessions.pop(0).quit()
                    continue
                source = "127.0.0.%d" % (len(open_sessions) + 1)
                f = ftplib.FTP(source_address=(source, 0), timeout=60)
                f.connect("127.0.0.1", \(server.port))
                try:
                    print(f.login(step, "pw")[:3])
                    open_sessions.append(f)
                except ftplib.error_temp as e:
                    print(str(e)[:3])
            """] + plan)
        #expect(r.status == 0, "\(r)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func theServerLimitAndAUsersOwnLimit() async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        let file = UsersFile(entries: [.init(name: "a", password: hash), .init(name: "b", password: hash, maxSessions: 1)])
        try await withServer({
            $0.authenticator = UsersFileAuthenticator(file: file)
            $0.maxSessionsPerUser = 2
        }) { server in
            // a, a (from different addresses), a refused; b, b refused; one a ends, a again.
            let codes = try await self.run(server, ["a", "a", "a", "b", "b", "-", "a"])
            #expect(codes == ["230", "230", "421", "230", "421", "230"], "\(codes)")
        }
    }

    @Test func aBadLimitInTheUsersFileNamesItsEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        try #"{"users": [{"name": "a", "password": "\#(hash)", "maxSessions": 0}]}"#
            .write(toFile: dir.path + "/u.json", atomically: true, encoding: .utf8)
        #expect(throws: FTPConfigurationError("users file \(dir.path)/u.json, entry 1 ('a'): maxSessions must be at least 1")) {
            _ = try UsersFile(contentsOf: dir.path + "/u.json")
        }
    }
}
