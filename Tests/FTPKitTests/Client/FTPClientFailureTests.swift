import Foundation
import NIOCore
import Testing

@testable import FTPKit

/// Broken servers produce typed errors, never hangs: every wait has a timeout.
@Suite struct FTPClientFailureTests {
    /// Starts the fake server, returns its port.
    func fake(_ scenario: String) async throws -> (Int, Process) {
        let python = try requireTool("python3", package: "python3")
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("port")
        try Data().write(to: out)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [peersDirectory.appendingPathComponent("fake_server.py").path, scenario]
        p.standardOutput = try FileHandle(forWritingTo: out)
        try p.run()
        for _ in 0..<100 {
            if let t = try? String(contentsOf: out, encoding: .utf8), let port = Int(t.trimmingCharacters(in: .whitespacesAndNewlines)) {
                dir.cleanup()
                return (port, p)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestEnvironmentError(description: "fake server did not start")
    }

    /// Long enough for a loaded machine (the suite runs gigabyte transfers in parallel) to deliver what was sent;
    /// the silent-server test uses a short one, since it waits for the whole timeout.
    func config(timeout: Duration = .seconds(15)) -> FTPClientConfiguration {
        var c = FTPClientConfiguration()
        c.replyTimeout = timeout
        c.dataTimeout = timeout
        return c
    }

    func failure(_ scenario: String, _ body: (Int, FTPClientConfiguration) async throws -> Void) async throws -> FTPClientError? {
        let (port, process) = try await fake(scenario)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        do {
            try await body(port, self.config())
            return nil
        } catch let e as FTPClientError {
            return e
        }
    }

    @Test func garbageGreeting() async throws {
        let e = try await failure("garbage-greeting") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.code == .protocolViolation, "\(String(describing: e))")
    }

    @Test func truncatedGreeting() async throws {
        let e = try await failure("truncated-greeting") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.code == .connectionClosed && e?.message.contains("middle of a reply") == true, "\(String(describing: e))")
    }

    @Test func silentServerTimesOut() async throws {
        let start = ContinuousClock.now
        let e = try await failure("silent") { port, _ in
            _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config(timeout: .seconds(3)))
        }
        #expect(e?.code == .timeout && e?.isTransient == true, "\(String(describing: e))")
        // Bounded by the reply timeout (3 s) plus starting the fake server on a loaded machine: no hang.
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func refusedGreeting() async throws {
        let e = try await failure("refused-greeting") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.replyCode == 421 && e?.isTransient == true, "\(String(describing: e))")
    }

    @Test func hugeReplyLine() async throws {
        let e = try await failure("huge-line") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.code == .protocolViolation, "\(String(describing: e))")
    }

    @Test func wrongCodeAndMidReplyClose() async throws {
        for scenario in ["wrong-code", "close-mid-reply"] {
            let e = try await failure(scenario) { port, c in
                let client = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c)
                try await client.login(user: "u", password: "p")
                _ = try await client.size(of: "x")
            }
            #expect(e?.code == (scenario == "wrong-code" ? .protocolViolation : .connectionClosed), "\(scenario): \(String(describing: e))")
            #expect(e?.connectionIsBroken == true)
        }
    }

    @Test func unreadablePassiveReply() async throws {
        let e = try await failure("bad-pasv") { port, c in
            let client = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c)
            try await client.login(user: "u", password: "p")
            _ = try await client.names()
        }
        #expect(e?.code == .protocolViolation && e?.command == "PASV", "\(String(describing: e))")
    }

    @Test func nothingListening() async throws {
        let port = try freeTCPPort()
        do {
            _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config())
            Issue.record("connected to nothing")
        } catch {
            #expect(error.code == .connectionFailed && error.isTransient)
        }
    }
}
