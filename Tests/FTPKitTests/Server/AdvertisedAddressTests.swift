import FTPKit
import Foundation
import Testing
import SeedTestSupport

/// Passive addresses by client network: VPN clients get the VPN address, everyone else the public one.
@Suite(.tags(.interop), .inTestSet(.interop)) struct AdvertisedAddressTests {
    @Test func theMostSpecificNetworkWins() throws {
        let map = try FTPAdvertisedAddresses(parsing: "0.0.0.0/0=203.0.113.7, 10.8.0.0/16=10.8.0.2,10.8.5.0/24=10.8.5.1")
        #expect(map.address(for: "10.8.1.9") == "10.8.0.2")
        #expect(map.address(for: "10.8.5.9") == "10.8.5.1")
        #expect(map.address(for: "198.51.100.4") == "203.0.113.7")
        #expect(map.address(for: "::ffff:10.8.1.9") == "10.8.0.2")
        #expect(map.address(for: "2001:db8::1") == nil, "no rule for IPv6 clients (they use EPSV)")
        let everyone = try FTPAdvertisedAddresses(parsing: "203.0.113.7")
        #expect(everyone.address(for: "10.0.0.1") == "203.0.113.7" && everyone.address(for: "2001:db8::1") == "203.0.113.7")
    }

    // "=" and "=,K" (found by the settings fuzz target) crashed the parser: an empty side was dropped, not named.
    @Test(arguments: ["", "10.8.0.0/99=10.8.0.2", "10.8.0.0/16=", "not an address", "10.8.0.0/16=under_score", "1.2.3.4.5",
                      "=", "=,K", "=10.8.0.2", " = "])
    func malformedMapsAreRefused(_ text: String) {
        #expect(throws: FTPConfigurationError.self) { try FTPAdvertisedAddresses(parsing: text) }
    }

    @Test func namesResolveAndUnresolvedMapsAreRefused() throws {
        let map = try FTPAdvertisedAddresses(parsing: "127.0.0.0/8=localhost")
        #expect(!map.isResolved)
        #expect(try map.resolved().address(for: "127.0.0.1") == "127.0.0.1")
        var config = FTPServerConfiguration(storage: MemoryStorage(), authenticator: StaticAuthenticator([]))
        config.advertisedAddresses = map
        #expect(throws: FTPConfigurationError.self) { try config.validate() }
        #expect(throws: FTPConfigurationError.self) { try FTPAdvertisedAddresses(parsing: "nonexistent.invalid").resolved() }
    }

    /// The 227 reply each loopback source address gets, through a raw control connection.
    func pasvReplies(_ server: TestFTPServer, from sources: [String]) async throws -> [String] {
        let python = try requireTool("python3", package: "python3")
        let r = try await runProcess(python, ["-c", """
            import ftplib, sys
            for source in sys.argv[1:]:
                f = ftplib.FTP(source_address=(source, 0), timeout=60)
                f.connect("127.0.0.1", \(server.port))
                f.login("\(TestFTPServer.user)", "\(TestFTPServer.password)")
                print(f.sendcmd("PASV"))
                f.close()
            """] + sources)
        #expect(r.status == 0, "\(r)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func vpnClientsGetTheVpnAddressAndOthersThePublicOne() async throws {
        let map = try FTPAdvertisedAddresses(parsing: "127.0.0.0/30=10.8.0.2,0.0.0.0/0=203.0.113.7")
        try await withServer({ $0.advertisedAddresses = map }) { server in
            let replies = try await self.pasvReplies(server, from: ["127.0.0.1", "127.0.0.9"])
            #expect(replies.count == 2 && replies[0].contains("(10,8,0,2,") && replies[1].contains("(203,0,113,7,"), "\(replies)")
            // After the names changed (ftpd: SIGHUP), new sessions announce the new address.
            try server.server.updateAdvertisedAddresses(try FTPAdvertisedAddresses(parsing: "0.0.0.0/0=198.51.100.1"))
            let after = try await self.pasvReplies(server, from: ["127.0.0.1"])
            #expect(after.first?.contains("(198,51,100,1,") == true, "\(after)")
        }
    }
}
