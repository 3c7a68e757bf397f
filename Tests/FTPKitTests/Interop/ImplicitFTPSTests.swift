import Foundation
import Testing
import SeedTestSupport

@testable import FTPKit

/// Implicit FTPS (a second listener where TLS starts at once), ALPN, and certificates made by FTPKit.
@Suite(.tags(.interop), .inTestSet(.interop)) struct ImplicitFTPSTests {
    /// A server with explicit and implicit FTPS, using a certificate FTPKit generated.
    func withImplicitServer(reuse: Bool = true, _ body: (TestFTPServer, String, Int) async throws -> Void) async throws {
        let keys = try TemporaryDirectory()
        defer { keys.cleanup() }
        let generated = try SelfSignedCertificate.generate(names: ["localhost", "127.0.0.1"])
        let cert = keys.path + "/cert.pem", key = keys.path + "/key.pem"
        try generated.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try generated.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        try await withServer({
            $0.tls = .server(certificateChainPath: cert, privateKeyPath: key)
            $0.tlsPolicy = .required
            $0.requireTLSSessionReuse = reuse
            $0.implicitTLSPort = 0
        }) { server in
            let port = try #require(server.server.implicitTLSPort)
            try await body(server, cert, port)
        }
    }

    @Test func curlAndOurClientOverImplicitTLS() async throws {
        try await withImplicitServer { server, cert, port in
            let curl = try requireTool("curl", package: "curl")
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let payload = randomData(1_200_000)
            try payload.write(to: local.url.appendingPathComponent("in.bin"))
            // curl's ftps:// is implicit FTPS.
            let pw = TestFTPServer.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let url = "ftps://\(TestFTPServer.user):\(pw)@127.0.0.1:\(port)"
            var r = try await runProcess(curl, ["-sS", "--ssl-reqd", "--cacert", cert, "-T", local.path + "/in.bin", url + "/c.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("c.bin") == payload)
            r = try await runProcess(curl, ["-sS", "--cacert", cert, url + "/c.bin", "-o", local.path + "/out.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: local.url.appendingPathComponent("out.bin")) == payload)

            var config = FTPClientConfiguration()
            config.ftps = FTPSSettings(mode: .implicit, tls: TLSConfiguration(trustedCAPath: cert))
            let client = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            #expect(try await client.size(of: "c.bin") == UInt64(payload.count))
            let names = try await client.list().map(\.name)
            #expect(names.contains("c.bin"))
            try await client.quit()
        }
    }

    @Test func ftplibOverImplicitTLS() async throws {
        // Stock ftplib cannot resume sessions, so this server accepts data connections without reuse.
        try await withImplicitServer(reuse: false) { server, cert, port in
            let r = try await runPython("ftps_client.py", server, [cert, "implicit", String(port)])
            #expect(r.status == 0, "\(r)")
        }
    }

    @Test func alpnAcceptsFTPAndRefusesOtherProtocols() async throws {
        try await withImplicitServer { _, cert, port in
            let openssl = try requireTool("openssl", package: "openssl")
            // -ign_eof: keep reading after QUIT until the server closes, so the greeting is always seen.
            let ok = try await runProcess(
                openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", cert, "-alpn", "ftp", "-ign_eof"],
                stdin: "QUIT\r\n", timeout: .seconds(30))
            #expect(ok.stdout.contains("220 ") && ok.stdout.contains("ALPN protocol: ftp"), "\(ok)")
            // An HTTP client's ALPN (the ALPACA attack) gets no TLS session at all.
            let refused = try await runProcess(
                openssl, ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", cert, "-alpn", "http/1.1", "-brief"],
                stdin: "GET / HTTP/1.1\r\n\r\n", timeout: .seconds(20))
            #expect(refused.status != 0, "\(refused)")
            #expect(!refused.stdout.contains("220"), "\(refused)")
        }
    }

    @Test func generatedCertificatesAreValidAndPinnable() async throws {
        let generated = try SelfSignedCertificate.generate(names: ["node1.vpn", "10.8.0.2"], days: 30)
        #expect(generated.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(generated.privateKeyPEM.contains("PRIVATE KEY"))
        #expect(generated.fingerprintSHA256.count == 95)
        #expect(throws: TLSError.self) { try SelfSignedCertificate.generate(names: []) }
        #expect(throws: TLSError.self) { try SelfSignedCertificate.generate(names: ["a b"]) }
        try await withImplicitServer { server, cert, _ in
            // Pin the generated certificate by the fingerprint `ftpd cert` prints.
            let pem = try String(contentsOfFile: cert, encoding: .utf8)
            let fingerprint = SelfSignedCertificate(certificatePEM: pem, privateKeyPEM: "").fingerprintSHA256
            var config = FTPClientConfiguration()
            config.ftps = FTPSSettings(tls: TLSConfiguration(pinnedCertificateSHA256: fingerprint))
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: config)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            try await client.quit()
        }
    }
}
