import Foundation
import NIOCore
import Testing
import SeedTestSupport

@testable import FTPKit

/// FTPKit's client over FTPS: against our server, vsftpd (require_ssl_reuse=YES) and pyftpdlib's TLS_FTPHandler,
/// with certificate verification, host names and pinning.
@Suite(.tags(.interop), .inTestSet(.interop)) struct FTPSClientTests {
    static func settings(cert: String, mode: FTPSSettings.Mode = .explicit, serverName: String? = nil) -> FTPClientConfiguration {
        var config = FTPClientConfiguration()
        config.ftps = FTPSSettings(mode: mode, tls: TLSConfiguration(trustedCAPath: cert), serverName: serverName)
        return config
    }

    /// Upload, list, download and resume over a protected connection; checks the bytes both ways.
    static func exercise(_ client: FTPClient, directory: String, scratch: TemporaryDirectory) async throws {
        let payload = randomData(3_000_000)
        let local = scratch.url.appendingPathComponent("in.bin")
        try payload.write(to: local)
        try await client.uploadFile(from: local.path, to: directory + "/secret.bin")
        let names = try await client.list(directory).map(\.name)
        #expect(names.contains("secret.bin"), "\(names)")
        let out = scratch.url.appendingPathComponent("out.bin")
        _ = try await client.downloadFile(directory + "/secret.bin", to: out.path)
        #expect(try Data(contentsOf: out) == payload)
        // A resumed download over TLS: the server reads (ahead) from an offset that is not a chunk boundary.
        let part = scratch.url.appendingPathComponent("part.bin")
        try payload.prefix(1_234_567).write(to: part)
        #expect(try await client.downloadFile(directory + "/secret.bin", to: part.path, resume: true) == 3_000_000)
        #expect(try Data(contentsOf: part) == payload)
        // A streamed upload (not from a file) and a streamed download.
        let stream = AsyncStream<ByteBuffer> { c in
            c.yield(ByteBuffer(string: "streamed "))
            c.yield(ByteBuffer(string: "over TLS"))
            c.finish()
        }
        try await client.upload(stream, to: directory + "/s.txt")
        var text = ""
        try await client.download(directory + "/s.txt") { chunks in
            for try await chunk in chunks { text += String(buffer: chunk) }
        }
        #expect(text == "streamed over TLS")
    }

    @Test(arguments: [FTPClientConfiguration.DataMode.passive, .active])
    func ourServerRequiringTLSAndSessionReuse(_ dataMode: FTPClientConfiguration.DataMode) async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.cleanup() }
        try await withTLSServer { server, cert in
            var config = Self.settings(cert: cert)
            config.dataMode = dataMode
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: config)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            #expect(await client.dataProtected)
            try await Self.exercise(client, directory: "/", scratch: scratch)
            try await client.quit()
        }
    }

    /// A slow reader fills the socket buffers, so the server's last chunks are still queued when it finishes:
    /// they must not be dropped by the close (a truncated download, seen with curl before the fix).
    @Test func aSlowReaderGetsEveryByteOverTLS() async throws {
        try await withTLSServer { server, cert in
            let payload = randomData(8_000_000)
            try server.write("big.bin", payload)
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: Self.settings(cert: cert))
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            let received: Data = try await client.download("big.bin") { chunks in
                var data = Data()
                var count = 0
                for try await chunk in chunks {
                    data.append(contentsOf: chunk.readableBytesView)
                    count += 1
                    if count % 4 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                }
                return data
            }
            #expect(received.count == payload.count)
            #expect(received == payload)
            try await client.quit()
        }
    }

    /// A renewed certificate is picked up for new connections; a session already open keeps working (its data
    /// connections resume its own TLS session); broken files are refused and the old certificate stays.
    @Test func certificateReloadKeepsOpenSessions() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.cleanup() }
        let first = try SelfSignedCertificate.generate(names: ["127.0.0.1"])
        let second = try SelfSignedCertificate.generate(names: ["127.0.0.1"])
        let cert = keys.path + "/cert.pem", key = keys.path + "/key.pem"
        try first.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try first.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        func pinned(_ c: SelfSignedCertificate) -> FTPClientConfiguration {
            var config = FTPClientConfiguration()
            config.ftps = FTPSSettings(tls: TLSConfiguration(pinnedCertificateSHA256: c.fingerprintSHA256))
            return config
        }
        try await withServer({
            $0.tls = .server(certificateChainPath: cert, privateKeyPath: key)
            $0.tlsPolicy = .required
        }) { server in
            try server.write("a.txt", Data("before".utf8))
            let old = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned(first))
            try await old.login(user: TestFTPServer.user, password: TestFTPServer.password)
            _ = try await old.list()

            try second.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
            try second.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
            try server.server.reloadTLSCertificate()

            // The open session still transfers.
            #expect(try await old.list().map(\.name).contains("a.txt"))
            try await old.quit()
            // New sessions get the new certificate.
            let fresh = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned(second))
            try await fresh.login(user: TestFTPServer.user, password: TestFTPServer.password)
            try await fresh.quit()
            await #expect(throws: FTPClientError.self) {
                _ = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned(first))
            }
            // A broken key is refused and the current certificate stays.
            try "not a key".write(toFile: key, atomically: true, encoding: .utf8)
            #expect(throws: TLSError.self) { try server.server.reloadTLSCertificate() }
            let still = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned(second))
            try await still.quit()
        }
    }

    @Test func verificationHostNamesAndPins() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.cleanup() }
        let (cert, key) = try await OpenSSLHandlerTests.certificate(in: keys)
        try await withServer({ $0.tls = .server(certificateChainPath: cert, privateKeyPath: key) }) { server in
            // The system CAs do not know a self-signed certificate.
            var untrusted = FTPClientConfiguration()
            untrusted.ftps = FTPSSettings()
            await #expect(throws: FTPClientError.self) {
                _ = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: untrusted)
            }
            // Trusted, but not for that name.
            do {
                _ = try await FTPClient.connect(
                    host: "127.0.0.1", port: server.port, configuration: Self.settings(cert: cert, serverName: "evil.example"))
                Issue.record("a certificate for another host was accepted")
            } catch let error as FTPClientError {
                #expect(error.code == .tls)
            }
            // Pinned: accepted by its fingerprint without any CA; a wrong pin is refused.
            let der = try await runProcess(
                try requireTool("openssl", package: "openssl"), ["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
            let fingerprint = String(der.stdout.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            var pinned = FTPClientConfiguration()
            pinned.ftps = FTPSSettings(tls: TLSConfiguration(pinnedCertificateSHA256: fingerprint))
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            try await client.noop()
            try await client.quit()
            pinned.ftps?.tls.pinnedCertificateSHA256 = String(repeating: "ab", count: 32)
            do {
                _ = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: pinned)
                Issue.record("a wrong pin was accepted")
            } catch let error as FTPClientError {
                #expect(error.code == .tls && error.message.contains("pinned"), "\(error)")
            }
        }
        // A server without FTPS says so.
        try await withServer { server in
            do {
                _ = try await FTPClient.connect(host: "127.0.0.1", port: server.port, configuration: Self.settings(cert: "/dev/null"))
                Issue.record("FTPS against a plain server did not fail")
            } catch let error as FTPClientError {
                #expect(error.code == .tls)
            }
        }
    }

    @Test(arguments: PeerServer.Kind.allCases)
    func peerServersRequiringTLS(_ kind: PeerServer.Kind) async throws {
        let keys = try TemporaryDirectory()
        defer { keys.cleanup() }
        let (cert, key) = try await OpenSSLHandlerTests.certificate(in: keys)
        let peer = try await PeerServer.start(kind, tls: (cert, key))
        defer { peer.stop() }
        let client = try await FTPClient.connect(host: "127.0.0.1", port: peer.port, configuration: Self.settings(cert: cert))
        try await client.login(user: peer.user, password: peer.password)
        try await Self.exercise(client, directory: peer.workDirectory == "/" ? "" : peer.workDirectory, scratch: keys)
        try await client.quit()
    }
}
