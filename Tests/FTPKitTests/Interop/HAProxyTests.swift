import Foundation
import Logging
import Synchronization
import SeedTestSupport
import Testing

@testable import FTPKit

/// Three ftpd nodes behind a real HAProxy, as Docs/deployment.md sets it up: the control port balanced with
/// PROXY v2 and a 220 health check, each node's passive range forwarded to that node only.
@Suite(.tags(.interop), .inTestSet(.interop), .serialized) struct HAProxyTests {
    final class Node: Sendable {
        let host: String
        let server: FTPServer
        let task: Task<Void, any Error>
        let directory: TemporaryDirectory
        let passive: ClosedRange<Int>
        let logins = LoginLog()

        init(index: Int, passive: ClosedRange<Int>, cert: String, key: String) async throws {
            self.host = "127.0.0.\(index + 2)"
            self.passive = passive
            self.directory = try TemporaryDirectory()
            var config = FTPServerConfiguration(
                host: self.host, port: 0, storage: try LocalFileStorage(root: self.directory.path),
                authenticator: StaticAuthenticator([(TestFTPServer.user, TestFTPServer.password, .all)]))
            config.trustedProxies = ["127.0.0.1"]
            config.advertisedAddress = "127.0.0.1"
            config.passivePorts = passive
            config.tls = .server(certificateChainPath: cert, privateKeyPath: key)
            var logger = Logger(label: "node")
            logger.logLevel = .critical
            let server = try await FTPServer.bind(configuration: config, logger: logger)
            self.server = server
            self.task = Task { try await server.run() }
            let logins = self.logins
            Task {
                for await event in server.events {
                    if case .loggedIn(_, let client) = event { logins.add(client) }
                }
            }
        }

        var port: Int { self.server.localPort }

        func files() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: self.directory.path)) ?? [] }

        func stop() async {
            await self.server.shutdown(gracePeriod: .zero)
            _ = try? await self.task.value
        }
    }

    @Test func curlLftpAndTheRealClientAddressThroughHAProxy() async throws {
        let haproxy = try requireTool("haproxy", package: "haproxy")
        let curl = try requireTool("curl", package: "curl")
        let lftp = try requireTool("lftp", package: "lftp")
        let work = try TemporaryDirectory()
        defer { work.cleanup() }
        let generated = try SelfSignedCertificate.generate(names: ["localhost", "127.0.0.1"])
        let cert = work.path + "/cert.pem", key = work.path + "/key.pem"
        try generated.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try generated.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)

        // Each node gets its own passive range; HAProxy listens on the same ports on 127.0.0.1 and forwards
        // each range to its node only.
        // Below the ephemeral range (32768+) and below the 20000+ passive ranges of the vsftpd peers other suites
        // start at the same time: HAProxy must bind every port of these ranges on 127.0.0.1 and exits if one is
        // taken (seen once in a full run: a concurrent connection held one).
        let base = 10_000 + (try freeTCPPort() % 9_900)
        var nodes: [Node] = []
        for i in 0..<3 {
            nodes.append(try await Node(index: i, passive: (base + i * 10)...(base + i * 10 + 5), cert: cert, key: key))
        }
        let control = try freeTCPPort()
        var config = """
            global
                maxconn 200
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
                timeout tunnel 1h
                timeout check 5s
            frontend ftp
                bind 127.0.0.1:\(control)
                default_backend ftp_nodes
            backend ftp_nodes
                balance source
                hash-type consistent
                option tcp-check
                tcp-check expect string 220
            """
        for (i, node) in nodes.enumerated() {
            config += "\n    server node\(i) \(node.host):\(node.port) send-proxy-v2 check check-send-proxy inter 500 fall 2 rise 1"
        }
        for (i, node) in nodes.enumerated() {
            config += """

                frontend pasv\(i)
                    bind 127.0.0.1:\(node.passive.lowerBound)-\(node.passive.upperBound)
                    default_backend pasv\(i)
                backend pasv\(i)
                    server node\(i) \(node.host)
                """
        }
        try (config + "\n").write(toFile: work.path + "/haproxy.cfg", atomically: true, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: haproxy)
        proxy.arguments = ["-f", work.path + "/haproxy.cfg", "-db"]
        let log = work.url.appendingPathComponent("haproxy.log")
        try Data().write(to: log)
        proxy.standardOutput = try FileHandle(forWritingTo: log)
        proxy.standardError = try FileHandle(forWritingTo: log)
        try proxy.run()
        defer { if proxy.isRunning { proxy.terminate() } }
        do {
            try await eventually("haproxy's greeting", timeout: .seconds(30)) { (try? await FTPClientProbe.greets(port: control)) == true }
        } catch {
            Issue.record("haproxy did not come up: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            throw error
        }
        do {
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let payload = randomData(2_000_000)
            try payload.write(to: local.url.appendingPathComponent("in.bin"))
            let pw = TestFTPServer.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let url = "ftp://\(TestFTPServer.user):\(pw)@127.0.0.1:\(control)"
            // curl from 127.0.0.9: the nodes must see that address, not HAProxy's.
            for (name, tls) in [("plain", [String]()), ("tls", ["--ssl-reqd", "--cacert", cert])] {
                var r = try await runProcess(curl, ["-sS", "--interface", "127.0.0.9"] + tls + ["-T", local.path + "/in.bin", url + "/\(name).bin"])
                #expect(r.status == 0, "\(r)")
                r = try await runProcess(curl, ["-sS", "--interface", "127.0.0.9"] + tls + [url + "/\(name).bin", "-o", local.path + "/\(name).out"])
                #expect(r.status == 0, "\(r)")
                #expect(try Data(contentsOf: local.url.appendingPathComponent("\(name).out")) == payload)
            }
            let logins = nodes.flatMap { $0.logins.clients }
            #expect(!logins.isEmpty && logins.allSatisfy { $0 == "127.0.0.9" }, "\(logins)")
            // lftp, plain and FTPS, uploads and downloads.
            for tls in [false, true] {
                let settings = tls
                    ? "set ssl:ca-file \(cert); set ftp:ssl-force true; set ftp:ssl-protect-data true; "
                    : "set ftp:ssl-allow no; "
                let r = try await runProcess(
                    lftp, ["-u", "\(TestFTPServer.user),\(TestFTPServer.password)", "-p", String(control), "-e",
                           settings + "set net:max-retries 1; set cmd:fail-exit yes; put in.bin -o lftp\(tls).bin; get lftp\(tls).bin -o back\(tls).bin; bye",
                           "127.0.0.1"], directory: local.url)
                #expect(r.status == 0, "\(r)")
                #expect(try Data(contentsOf: local.url.appendingPathComponent("back\(tls).bin")) == payload)
            }

            // A PROXY header from an address that is not a trusted proxy is refused, and so is a connection from
            // the proxy's address without one.
            let spoof = try await runProcess("/usr/bin/env", ["python3", "-c", """
                import socket
                s = socket.socket(); s.bind(("127.0.0.5", 0)); s.settimeout(10)
                s.connect(("\(nodes[1].host)", \(nodes[1].port)))
                greeting = s.recv(200)
                s.sendall(b"PROXY TCP4 10.0.0.1 10.0.0.2 1234 21\\r\\n")
                print(greeting[:3].decode(), s.recv(200)[:3].decode())
                t = socket.socket(); t.bind(("127.0.0.1", 0)); t.settimeout(10)
                t.connect(("\(nodes[1].host)", \(nodes[1].port)))
                t.sendall(b"USER x\\r\\n")
                print(t.recv(200)[:3].decode())
                """])
            #expect(spoof.stdout == "220 421\n421\n", "\(spoof)")

            // The node this client is balanced to stops: HAProxy's health check takes it out, and new sessions
            // go to the others.
            let servingIndex = try #require(nodes.firstIndex { $0.files().contains("plain.bin") })
            let serving = nodes[servingIndex]
            await serving.stop()
            try await eventually("HAProxy's health check taking the stopped node out", timeout: .seconds(60)) {
                (try? String(contentsOf: log, encoding: .utf8))?.contains("ftp_nodes/node\(servingIndex) is DOWN") == true
            }
            for i in 0..<4 {
                let r = try await runProcess(
                    curl, ["-sS", "--interface", "127.0.0.9", "-T", local.path + "/in.bin", url + "/after\(i).bin"])
                #expect(r.status == 0, "session \(i) after the node stopped: \(r)")
            }
            let survivors = nodes.filter { $0 !== serving }
            #expect(survivors.flatMap { $0.files() }.filter { $0.hasPrefix("after") }.count == 4)
        } catch {
            Issue.record("haproxy log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            for node in nodes { await node.stop() }
            throw error
        }
        proxy.terminate()
        for node in nodes { await node.stop() }
    }
}

/// The client addresses a node saw log in.
final class LoginLog: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ client: String) { self.entries.withLock { $0.append(client) } }
    var clients: [String] { self.entries.withLock { $0 } }
}
