import FTPKit
import Foundation
import NIOCore
import NIOPosix
import SeedTestSupport
import Testing

/// The real `ftpbot` against the standalone `discord-emulator`, driven only through the emulator's control API
/// (JSON over HTTP), as a bot written in any language would be tested.
@Suite(.tags(.interop), .inTestSet(.interop)) struct StandaloneEmulatorTests {
    /// The control API over curl: a method, a path under `/control`, a JSON body; the answer parsed.
    struct Control {
        let base: String

        @discardableResult
        func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
            var arguments = ["curl", "-sS", "-f", "-X", method, "-H", "Content-Type: application/json", self.base + path]
            // The body goes through a file: an attachment's base64 is past the kernel's limit for one argument.
            let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: bodyFile) }
            if let body {
                try JSONSerialization.data(withJSONObject: body).write(to: bodyFile)
                arguments += ["--data-binary", "@" + bodyFile.path]
            }
            let out = try await Command.run(arguments)
            guard out.status == 0 else { throw EmulatorProblem("\(method) \(path): \(out.stderr)") }
            return out.stdout.isEmpty ? nil : try JSONSerialization.jsonObject(with: out.stdout)
        }

        /// Polls `path` until `probe` finds what it waits for.
        @discardableResult
        func poll<T>(_ what: String, _ path: String, timeout: Duration = .seconds(60), _ probe: (Any?) -> T?) async throws -> T {
            let deadline = ContinuousClock.now + timeout
            while true {
                if let found = probe(try await self.call("GET", path)) { return found }
                guard ContinuousClock.now < deadline else { throw EmulatorProblem("timed out waiting for \(what)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    struct EmulatorProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Its command line: a port that is taken is one sentence naming it (before: `bind(descriptor:ptr:bytes:): Address
    /// already in use) (errno: 98)`), and settings Discord could never send (no shards) are refused.
    @Test func theProgramExplainsWhatItCannotDo() async throws {
        let held = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(held.localAddress?.port)
        let taken = try await Command.run([Binaries.path("discord-emulator"), "--port", "\(port)"])
        try await held.close()
        #expect(taken.status == 1 && taken.stderr.contains("Error: cannot listen on 127.0.0.1:\(port): something already listens there"),
                "\(taken.stderr)")
        let unknown = try await Command.run([Binaries.path("discord-emulator"), "--host", "nohost.invalid"])
        #expect(unknown.status == 1 && unknown.stderr.contains("not an address of this machine"), "\(unknown.stderr)")
        for (arguments, message) in [(["--shards", "0"], "--shards must be at least 1"),
                                     (["--port", "70000"], "--port must be a TCP port (0-65535), got 70000")] {
            let r = try await Command.run([Binaries.path("discord-emulator")] + arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }

    @Test func ftpbotThroughTheControlAPIOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("standalone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ready = dir.appendingPathComponent("ready.json").path
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: Binaries.path("discord-emulator"))
        emulator.arguments = ["--empty", "--ready-file", ready]
        emulator.standardOutput = FileHandle.nullDevice
        let emulatorLog = dir.appendingPathComponent("emulator.log")
        try Data().write(to: emulatorLog)
        emulator.standardError = try FileHandle(forWritingTo: emulatorLog)
        try emulator.run()
        var nodes: [TestNode] = []
        let bot = Process()
        defer {
            if bot.isRunning { bot.terminate() }
            if emulator.isRunning { emulator.terminate() }
        }
        try await eventually("the emulator's ready file", timeout: .seconds(30)) {
            (FileManager.default.contents(atPath: ready)?.count ?? 0) > 0
        }
        let urls = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready))) as? [String: String])
        let control = Control(base: try #require(urls["control"]))

        // The world: a guild, its channel, a user.
        try await control.call("POST", "/guilds", ["id": "2000", "name": "e2e"])
        try await control.call("POST", "/channels", ["id": "3000", "guild_id": "2000", "name": "files"])
        try await control.call("POST", "/users", ["id": "501", "username": "ana"])

        for i in 0..<2 {
            let node = TestNode(name: "node\(i)", root: dir.path + "/node\(i)")
            try await node.start()
            nodes.append(node)
        }
        let config: [String: Any] = [
            "nodes": nodes.map { ["name": $0.name, "host": "127.0.0.1", "port": $0.port, "user": "bot", "password": "node-secret"] },
            "replicas": 2, "dataDirectory": dir.path + "/bot", "guildID": "2000",
            "apiBaseURL": try #require(urls["api"]), "gatewayURL": try #require(urls["gateway"]),
            "http": ["address": "127.0.0.1:0"],
        ]
        let configPath = dir.appendingPathComponent("ftpbot.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        bot.executableURL = URL(fileURLWithPath: Binaries.ftpbot)
        bot.arguments = ["--config", configPath.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DISCORD_TOKEN"] = urls["token"]
        bot.environment = environment
        bot.standardOutput = FileHandle.nullDevice
        let botLog = dir.appendingPathComponent("bot.log")
        try Data().write(to: botLog)
        bot.standardError = try FileHandle(forWritingTo: botLog)
        bot.standardInput = FileHandle.nullDevice
        try bot.run()
        do {
            try await control.poll("the bot's commands", "/commands?guild_id=2000") { ($0 as? [Any])?.isEmpty == false ? true : nil }
            // The bot registers its commands before its gateway connects, and Discord (like the emulator) delivers a
            // message only to sessions identified when it is posted: wait for the session, as a user would see the
            // bot come online.
            try await control.poll("the bot's gateway session", "/state") { state -> Bool? in
                ((state as? [String: Any])?["identify_count"] as? Int ?? 0) >= 1 ? true : nil
            }

            // A user uploads with a message and an attachment.
            let data = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try await control.call("POST", "/messages", [
                "channel_id": "3000", "user_id": "501", "content": "!upload",
                "files": [["filename": "e2e.bin", "data_base64": data.base64EncodedString()]],
            ])
            let stored = try await control.poll("the upload's answer", "/channels/3000/messages") { answer -> String? in
                (answer as? [[String: Any]])?.compactMap { $0["content"] as? String }
                    .first { $0.contains("Stored **e2e.bin**") && !$0.contains("Uploading") }
            }
            #expect(stored.contains("✅"))
            #expect(nodes.allSatisfy { $0.contents("e2e.bin") == data })

            // The same user asks for it back with the slash command.
            let interaction = try #require(try await control.call("POST", "/interactions/commands", [
                "channel_id": "3000", "user_id": "501", "name": "download", "options": ["name": "e2e.bin"],
            ]) as? [String: Any])
            let id = try #require(interaction["id"] as? String)
            let url: String
            do {
                url = try await control.poll("the download", "/interactions/\(id)") { state -> String? in
                    let original = (state as? [String: Any])?["original_message"] as? [String: Any]
                    let attachments = original?["attachments"] as? [[String: Any]]
                    return attachments?.first?["url"] as? String
                }
            } catch {
                // What the bot answered instead, if anything.
                let state = try? await control.call("GET", "/interactions/\(id)")
                Issue.record("the interaction: \(String(describing: state))")
                throw error
            }
            let fetched = try await Command.run(["curl", "-sS", "-f", url])
            #expect(fetched.stdout == data)

            // What Discord would have refused, nothing: no 50035 answers.
            let state = try #require(try await control.call("GET", "/state") as? [String: Any])
            #expect(state["form_errors"] as? Int == 0)
            #expect((state["identify_count"] as? Int ?? 0) >= 1)
        } catch {
            Issue.record("bot log:\n\((try? String(contentsOf: botLog, encoding: .utf8)) ?? "")")
            Issue.record("emulator log:\n\((try? String(contentsOf: emulatorLog, encoding: .utf8)) ?? "")")
            for node in nodes { await node.kill() }
            throw error
        }
        for node in nodes { await node.kill() }
    }
}
