import Foundation
import NIOCore
import SeedTestSupport
import Testing

@testable import FTPKit

/// Broken servers produce typed errors, never hangs: every wait has a timeout.
@Suite(.tags(.interop), .inTestSet(.interop)) struct FTPClientFailureTests {
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
        defer { dir.cleanup() }
        do {
            let port = try await eventuallyValue("the fake server's port", timeout: .seconds(30)) {
                (try? String(contentsOf: out, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return (port, p)
        } catch {
            throw TestEnvironmentError(description: "fake server did not start")
        }
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

    /// A server answering at random (chaos_server.py, seeded): every operation ends with a result or an
    /// `FTPClientError`, never another error, a crash or a hang (each seed is bounded by the timeouts).
    @Test(arguments: 1...16)
    func randomRepliesGetTypedErrors(seed: Int) async throws {
        let python = try requireTool("python3", package: "python3")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let out = dir.url.appendingPathComponent("port")
        try Data().write(to: out)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [peersDirectory.appendingPathComponent("chaos_server.py").path, String(seed)]
        process.standardOutput = try FileHandle(forWritingTo: out)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let serverPort = try await eventuallyValue("the chaos server's port", timeout: .seconds(30)) {
            (try? String(contentsOf: out, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let config = self.config(timeout: .seconds(2))
        var outcomes: [String] = []
        var client: FTPClient?
        // A fresh connection when the error says the last one is broken (the client then refuses further
        // commands, as it should), so the fuzzing goes past the first fault; otherwise the same one goes on.
        func attempt(_ what: String, _ body: (FTPClient) async throws -> Void) async {
            do {
                if client == nil {
                    let fresh = try await FTPClient.connect(host: "127.0.0.1", port: serverPort, configuration: config)
                    client = fresh
                    try await fresh.login(user: "u", password: "p")
                }
                try await body(client!)
                outcomes.append("\(what): ok")
            } catch let error as FTPClientError {
                outcomes.append("\(what): \(error.code) \(error.message.prefix(90))")
                if error.connectionIsBroken {
                    await client?.close()
                    client = nil
                }
            } catch {
                Issue.record("seed \(seed), \(what): an untyped error \(type(of: error)): \(error)")
            }
        }
        for round in 0..<2 {
            await attempt("pwd") { _ = try await $0.currentDirectory() }
            await attempt("list") { _ = try await $0.list("/") }
            await attempt("names") { _ = try await $0.names("/") }
            await attempt("size") { _ = try await $0.size(of: "f.bin") }
            await attempt("mdtm") { _ = try await $0.modificationDate(of: "f.bin") }
            await attempt("download") { client in
                _ = try await client.download("f.bin", offset: UInt64(round)) { chunks in
                    var n = 0
                    for try await chunk in chunks { n += chunk.readableBytes }
                    return n
                }
            }
            await attempt("upload") { client in
                let bytes = ByteBuffer(bytes: [UInt8](repeating: 7, count: 200_000))
                _ = try await client.upload(AsyncStream { $0.yield(bytes); $0.finish() }, to: "up.bin")
            }
            await attempt("hash") { _ = try await $0.hash(of: "f.bin") }
            await attempt("mkd") { _ = try await $0.makeDirectory("d") }
            await attempt("rename") { try await $0.rename("a", to: "b") }
            await attempt("delete") { try await $0.delete("b") }
            await attempt("noop") { try await $0.noop() }
        }
        await attempt("quit") { try await $0.quit() }
        await client?.close()
        #expect(outcomes.count == 25)
    }

    @Test func garbageGreeting() async throws {
        let e = try await failure("garbage-greeting") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.code == .protocolViolation, "\(String(describing: e))")
    }

    @Test func truncatedGreeting() async throws {
        let e = try await failure("truncated-greeting") { port, c in _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: c) }
        #expect(e?.code == .connectionClosed && e?.message.contains("middle of a reply") == true, "\(String(describing: e))")
    }

    /// A server that takes an upload's data connection and stops reading: the client's writes wait, the data
    /// timeout ends the transfer with a timeout error, and the connection is reset, never closed with the FIN that
    /// would tell the server the file is complete (the fake reports which it saw).
    @Test func anUploadTheServerStopsReadingTimesOutWithAReset() async throws {
        let e = try await failure("unread-upload") { port, _ in
            let client = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config(timeout: .seconds(2)))
            try await client.login(user: "u", password: "p")
            try await client.upload(TransferBufferBudgetTests.Endless(), to: "stuck.bin")
        }
        #expect(e?.code == .timeout, "\(String(describing: e))")
        #expect(e?.reply?.code == 426, "the server must see a reset: \(String(describing: e))")
    }

    @Test func silentServerTimesOut() async throws {
        let start = ContinuousClock.now
        let e = try await failure("silent") { port, _ in
            _ = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config(timeout: .seconds(3)))
        }
        #expect(e?.code == .timeout && e?.isTransient == true, "\(String(describing: e))")
        // Bounded by the reply timeout (3 s) plus starting the fake server while every other suite starts its
        // own servers and peers on 2 cores (measured up to 28 s): no hang.
        #expect(ContinuousClock.now - start < .seconds(120))
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

    /// A whole reply the client cannot interpret (found by the chaos server: one odd MDTM answer used to make the
    /// client refuse every later command) fails that call only; the connection stays in step and usable.
    @Test func anUninterpretableReplyFailsOnlyItsCall() async throws {
        let (port, process) = try await fake("bad-mdtm")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let client = try await FTPClient.connect(host: "127.0.0.1", port: port, configuration: config())
        try await client.login(user: "u", password: "p")
        do {
            _ = try await client.modificationDate(of: "x")
            Issue.record("'213 yesterday' was taken as a time")
        } catch {
            #expect(error.code == .protocolViolation && !error.connectionIsBroken, "\(error)")
        }
        try await client.noop()
        #expect(await client.isConnected)
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
