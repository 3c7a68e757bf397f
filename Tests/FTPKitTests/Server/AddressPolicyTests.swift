import FTPKit
import Foundation
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct IPAddressRangeTests {
    @Test func blocksAndAddressesMatchWhatTheyShould() throws {
        let v4 = try IPAddressRange("10.8.0.0/16")
        #expect(v4.contains("10.8.255.1") && v4.contains("10.8.0.0"))
        #expect(!v4.contains("10.9.0.1") && !v4.contains("2001:db8::1") && !v4.contains("not an address"))
        #expect(v4.contains("::ffff:10.8.1.2"), "an IPv4 client seen on an IPv6 socket")
        #expect(try IPAddressRange("10.8.1.2/16").description == "10.8.0.0/16", "host bits are cleared")
        let one = try IPAddressRange("203.0.113.7")
        #expect(one.prefixLength == 32 && one.contains("203.0.113.7") && !one.contains("203.0.113.8"))
        let v6 = try IPAddressRange("2001:db8::/32")
        #expect(v6.contains("2001:db8:ffff::1") && v6.contains("2001:DB8::1") && !v6.contains("2001:db9::1"))
        #expect(!v6.contains("10.8.0.1"))
        #expect(try IPAddressRange("fe80::1%eth0").contains("fe80::1"))
        #expect(try IPAddressRange("0.0.0.0/0").contains("198.51.100.1"))
        #expect(try IPAddressRange("10.0.0.0/9").contains("10.127.255.255") && !IPAddressRange("10.0.0.0/9").contains("10.128.0.0"))
        #expect(try IPAddressRange("::/0").description == "::/0")
    }

    @Test(arguments: ["10.0.0.0/33", "1.2.3", "abc", "10.0.0.0/", "/8", "::/129", "10.0.0.0/+8", "10.0.0.0/8/8", "", "1.2.3.4/-1"])
    func malformedBlocksAreRefusedByName(_ text: String) {
        #expect(throws: IPAddressRange.ParseError(text: text)) { try IPAddressRange(text) }
    }

    @Test func denyWinsAndAllowRestricts() throws {
        let policy = try FTPAddressPolicy(allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.66.0.0/16"])
        #expect(policy.permits("10.1.2.3") && policy.permits("2001:db8::5"))
        #expect(!policy.permits("10.66.1.1") && !policy.permits("192.0.2.1"))
        #expect(FTPAddressPolicy().permits("192.0.2.1"))
        #expect(throws: IPAddressRange.ParseError.self) { try FTPAddressPolicy(allow: [], deny: ["10.0.0.0/99"]) }
    }
}

/// The server's and the users file's address lists, with curl as the client (bound to different loopback
/// addresses) and a PROXY header giving the real address.
@Suite(.tags(.interop), .inTestSet(.interop)) struct AddressPolicyServerTests {
    func curl(_ server: TestFTPServer, from address: String, user: String = TestFTPServer.user,
              password: String = TestFTPServer.password) async throws -> ProcessResult {
        let curl = try requireTool("curl", package: "curl")
        return try await runProcess(curl, ["-sS", "--interface", address, "-u", "\(user):\(password)",
                                           "ftp://127.0.0.1:\(server.port)/"])
    }

    @Test func theServerRefusesDeniedAddressesAndThoseOutsideItsAllowList() async throws {
        try await withServer({ $0.addressPolicy = try! FTPAddressPolicy(allow: ["127.0.0.0/29"], deny: ["127.0.0.5"]) }) { server in
            #expect(try await self.curl(server, from: "127.0.0.1").status == 0)
            // curl reports a 421 greeting only as a failure; read the greeting itself.
            let codes = try await self.greeting(server, from: ["127.0.0.5", "127.0.0.9", "127.0.0.2"])
            #expect(codes == ["421", "421", "220"])
        }
    }

    /// The first reply code each source address gets.
    func greeting(_ server: TestFTPServer, from sources: [String]) async throws -> [String] {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, ["-c", """
            import socket, sys
            for source in sys.argv[1:]:
                s = socket.socket(); s.settimeout(60); s.bind((source, 0))
                s.connect(("127.0.0.1", \(server.port)))
                print(s.recv(200)[:3].decode())
                s.close()
            """] + sources)
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func theRealAddressBehindATrustedProxyIsTheOneChecked() async throws {
        try await withServer({
            $0.trustedProxies = ["127.0.0.1"]
            $0.addressPolicy = try! FTPAddressPolicy(allow: [], deny: ["10.0.0.0/8"])
        }) { server in
            let python = try requireTool("python3", package: "python3")
            let r = try await runProcess(python, ["-c", """
                import socket
                for source in ("10.0.0.1", "192.0.2.1"):
                    s = socket.create_connection(("127.0.0.1", \(server.port)), timeout=60)
                    s.sendall(("PROXY TCP4 %s 127.0.0.1 40000 21\\r\\n" % source).encode())
                    print(s.recv(200)[:3].decode())
                    s.close()
                """])
            #expect(r.stdout == "421\n220\n", "\(r)")
        }
    }

    @Test func aUserCanBeRestrictedToSomeAddresses() async throws {
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        let file = UsersFile(entries: [
            .init(name: "vpn", password: hash, allow: ["127.0.0.0/30"]),
            .init(name: "anywhere", password: hash, deny: ["127.0.0.2"]),
        ])
        try await withServer({ $0.authenticator = UsersFileAuthenticator(file: file) }) { server in
            #expect(try await self.curl(server, from: "127.0.0.1", user: "vpn", password: "pw").status == 0)
            let outside = try await self.curl(server, from: "127.0.0.9", user: "vpn", password: "pw")
            #expect(outside.status != 0 && outside.stderr.contains("530"), "\(outside)")
            #expect(try await self.curl(server, from: "127.0.0.9", user: "anywhere", password: "pw").status == 0)
            let denied = try await self.curl(server, from: "127.0.0.2", user: "anywhere", password: "pw")
            #expect(denied.status != 0 && denied.stderr.contains("530"), "\(denied)")
        }
    }

    @Test func aBadBlockInTheUsersFileNamesItsEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let hash = try PasswordHasher.hash("pw", iterations: 1000)
        try #"{"users": [{"name": "a", "password": "\#(hash)", "allow": ["10.0.0.0/40"]}]}"#
            .write(toFile: dir.path + "/u.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try UsersFile(contentsOf: dir.path + "/u.json")
        } throws: { error in
            "\(error)".contains("entry 1 ('a')") && "\(error)".contains("10.0.0.0/40")
        }
    }
}
