import FTPKit
import Foundation
import SeedTestSupport
import Testing

/// The `ftpd` program itself: user management, the configuration file and graceful shutdown on SIGTERM.
@Suite struct FTPDExecutableTests {
    static var binary: String { Binaries.ftpd }

    @Test func userAddConfigFileAndSigterm() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build ftpd first (swift build)")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        var r = try await runProcess(Self.binary, ["user", "add", "--users", users, "--iterations", "2000", "carol"], stdin: "pa ss\n")
        #expect(r.status == 0, "\(r)")
        r = try await runProcess(Self.binary, ["user", "add", "--users", users, "carol"], stdin: "")
        #expect(r.status != 0 && r.stderr.contains("no password"), "\(r)")
        #expect(try !String(contentsOfFile: users, encoding: .utf8).contains("pa ss"))

        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        try Data("served".utf8).write(to: URL(fileURLWithPath: dir.path + "/root/file.txt"))
        let port = try freeTCPPort()
        let config = """
            {"root": "\(dir.path)/root", "address": "127.0.0.1", "port": \(port), "users": "\(users)",
             "passivePorts": "40000-40100", "logLevel": "info", "metricsAddress": "127.0.0.1:0"}
            """
        try config.write(toFile: dir.path + "/ftpd.json", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config", dir.path + "/ftpd.json"]
        let log = dir.url.appendingPathComponent("log")
        try Data().write(to: log)
        process.standardError = try FileHandle(forWritingTo: log)
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let curl = try requireTool("curl", package: "curl")
        var got = ProcessResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<50 {
            got = try await runProcess(curl, ["-sS", "ftp://carol:pa%20ss@127.0.0.1:\(port)/file.txt"])
            if got.status == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(got.status == 0 && got.stdout == "served", "\(got)")

        // Prometheus metrics and the health check, on the port ftpd logged.
        let logged = try String(contentsOf: log, encoding: .utf8)
        let metricsPort = logged.split(separator: "metrics_port=").dropFirst().first.map { $0.prefix { $0.isNumber } }
        let mport = try #require(metricsPort.flatMap { Int($0) }, "\(logged)")
        let metrics = try await runProcess(curl, ["-sS", "http://127.0.0.1:\(mport)/metrics"])
        for line in ["ftpd_bytes_sent_total 6", #"ftpd_logins_total{result="ok"} 1"#,
                     #"ftpd_transfers_total{direction="sent",result="complete"} 1"#, "ftpd_transfer_duration_seconds"] {
            #expect(metrics.stdout.contains(line), "missing \(line) in:\n\(metrics.stdout)")
        }
        let health = try await runProcess(curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(mport)/health"])
        #expect(health.stdout == "200", "\(health)")

        kill(process.processIdentifier, SIGTERM)
        var status: Int32 = -1
        for await s in exited.stream { status = s; break }
        #expect(status == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("shutting down") && text.contains("server stopped"), "\(text)")
        #expect(!text.contains("pa ss"), "the password must never be logged")
    }

    @Test(arguments: [
        (["--root", "/nonexistent-dir-xyz", "--anonymous"], "root"),
        (["--memory"], "nobody could log in"),
        (["--memory", "--anonymous", "--passive-ports", "9-2"], "passive ports"),
        (["--memory", "--anonymous", "--advertised-address", "not-an-ip"], "advertised address"),
        (["--config", "/nonexistent.json"], "cannot read configuration"),
        (["--memory", "--anonymous", "--tls-groups", "X25519"], "need --tls-cert"),
    ])
    func badOptionsAreExplained(_ args: [String], _ message: String) async throws {
        let r = try await runProcess(Self.binary, args, timeout: .seconds(30))
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r)")
    }

    @Test func badConfigurationFilesAndTLSSettingsAreExplained() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let cert = try SelfSignedCertificate.generate(names: ["localhost"])
        try cert.certificatePEM.write(toFile: dir.path + "/c.pem", atomically: true, encoding: .utf8)
        try cert.privateKeyPEM.write(toFile: dir.path + "/k.pem", atomically: true, encoding: .utf8)
        let tls = #""memory": true, "anonymous": true, "tlsCert": "\#(dir.path)/c.pem", "tlsKey": "\#(dir.path)/k.pem""#
        let cases: [(String, String)] = [
            (#"{"memory": true, "anonymus": true}"#, "unknown option 'anonymus'"),
            ("[1, 2]", "must be a JSON object"),
            (#"{"memory": "yes"}"#, "wrong type for 'memory'"),
            ("{\(tls), \"tlsMinVersion\": \"1.1\"}", "must be 1.2 or 1.3"),
            ("{\(tls), \"tlsCipherSuites\": \"TLS_AES_256\"}", "invalid TLS 1.3 cipher suites"),
            ("{\(tls), \"tlsGroups\": \"P-999\"}", "invalid key exchange groups"),
        ]
        for (i, (json, message)) in cases.enumerated() {
            let path = dir.path + "/c\(i).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await runProcess(Self.binary, ["--config", path, "--port", "0"], timeout: .seconds(30))
            #expect(r.status != 0, "\(json)")
            #expect(r.stderr.contains(message), "\(json): \(r)")
        }
    }
}
