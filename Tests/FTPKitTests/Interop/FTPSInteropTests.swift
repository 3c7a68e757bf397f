import Foundation
import Testing

@testable import FTPKit

/// Our server over explicit FTPS with clients nobody here wrote: curl, lftp, Python's ftplib.
@Suite struct FTPSInteropTests {
    @Test(arguments: ["1.2", "1.3"])
    func curlBothWays(_ version: String) async throws {
        try await withTLSServer { server, cert in
            let curl = try requireTool("curl", package: "curl")
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(3_000_000)
            try data.write(to: local.url.appendingPathComponent("in.bin"))
            let tls = version == "1.2" ? ["--tlsv1.2", "--tls-max", "1.2"] : ["--tlsv1.3"]
            let url = "ftp://\(TestFTPServer.user):s3cret%20pass@localhost:\(server.port)"
            var r = try await runProcess(curl, ["-sS", "--ssl-reqd", "--cacert", cert] + tls + ["-T", local.path + "/in.bin", url + "/x.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(server.read("x.bin") == data)
            r = try await runProcess(curl, ["-sS", "--ssl-reqd", "--cacert", cert] + tls + [url + "/x.bin", "-o", local.path + "/out.bin"])
            #expect(r.status == 0, "\(r)")
            #expect(try Data(contentsOf: local.url.appendingPathComponent("out.bin")) == data)
            r = try await runProcess(curl, ["-sS", "--ssl-reqd", "--cacert", cert] + tls + [url + "/"])
            #expect(r.stdout.contains("x.bin"), "\(r)")
            // Without TLS the required policy refuses the login.
            r = try await runProcess(curl, ["-sS", url.replacingOccurrences(of: "localhost", with: "127.0.0.1") + "/"])
            #expect(r.status != 0)
            // An untrusted certificate is refused by curl (verification works end to end).
            r = try await runProcess(curl, ["-sS", "--ssl-reqd", url + "/"])
            #expect(r.status != 0)
        }
    }

    @Test func ftplibIsRefusedWithoutSessionReuseByDefault() async throws {
        try await withTLSServer { server, cert in
            try randomData(1000).write(to: server.root.appendingPathComponent("a.bin"))
            let r = try await runPython("ftps_client.py", server, [cert, "strict"])
            #expect(r.status == 0, "\(r)")
        }
    }

    @Test func ftplibWorksWhenReuseIsRelaxedAndTruncatedUploadsAreDropped() async throws {
        try await withTLSServer(reuse: false) { server, cert in
            let r = try await runPython("ftps_client.py", server, [cert, "relaxed"])
            #expect(r.status == 0, "\(r)")
        }
    }

    @Test func policiesAreEnforced() async throws {
        try await withTLSServer { server, cert in
            let r = try await runPython("ftps_client.py", server, [cert, "policy"])
            #expect(r.status == 0, "\(r)")
        }
    }
}

/// lftp over FTPS both ways, TLS 1.2 and 1.3, with the server requiring TLS and session reuse. (libunftp had to
/// turn TLS 1.3 off over lftp uploads that resume sessions; this must keep working.)
@Suite struct LftpFTPSTests {
    @Test(arguments: ["1.2", "1.3"])
    func uploadsAndDownloadsOverTLS(_ version: String) async throws {
        try await withTLSServer { server, cert in
            let lftp = try requireTool("lftp", package: "lftp")
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(3_000_000)
            try data.write(to: local.url.appendingPathComponent("big.bin"))
            let priority = version == "1.2" ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL:-VERS-ALL:+VERS-TLS1.3"
            let settings = "set ssl:ca-file \(cert); set ftp:ssl-force true; set ftp:ssl-protect-data true; "
                + "set ssl:priority \(priority); set net:max-retries 1; set net:timeout 20; set cmd:fail-exit yes; "
            let r = try await runProcess(
                lftp, ["-u", "\(TestFTPServer.user),\(TestFTPServer.password)", "-p", String(server.port),
                       "-e", settings + "debug 5; put big.bin -o up.bin; put big.bin -o up2.bin; get up.bin -o back.bin; cls; bye",
                       "127.0.0.1"], directory: local.url)
            #expect(r.status == 0, "\(r)")
            // No transfer may have needed lftp's retry (it reconnects after a 426 and would hide the failure).
            #expect(!r.stdout.contains("<--- 426") && !r.stderr.contains("<--- 426"), "\(r)")
            #expect(server.read("up.bin") == data)
            #expect(server.read("up2.bin") == data)
            #expect(try Data(contentsOf: local.url.appendingPathComponent("back.bin")) == data)
        }
    }
}
