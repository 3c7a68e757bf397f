import FTPKit
import Foundation
import SeedTestSupport
import Testing

/// Two real `ftpbot` processes serving one bot: each runs half of the gateway shards (`--shards 0/2`, `1/2`),
/// both share one PostgreSQL catalog and the same storage nodes. Two guilds that share a space land on
/// different processes, so what one process stores or deletes is only right in the other through the catalog.
@Suite(.enabled(if: PostgresTestServer.isAvailable))
struct SharedBotProcessesTests {
    typealias Control = StandaloneEmulatorTests.Control

    /// Every message of a channel as JSON text (content and embeds alike).
    static func channelText(_ control: Control, _ channel: String) async throws -> String {
        let messages = try await control.call("GET", "/channels/\(channel)/messages")
        return String(decoding: try JSONSerialization.data(withJSONObject: messages ?? []), as: UTF8.self)
    }

    @Test func twoProcessesSplitTheShardsAndShareOneCatalog() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let postgres = try await PostgresTestServer.start()
        let ready = dir.appendingPathComponent("ready.json").path
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: Binaries.path("discord-emulator"))
        emulator.arguments = ["--empty", "--shards", "2", "--ready-file", ready]
        emulator.standardOutput = FileHandle.nullDevice
        emulator.standardError = FileHandle.nullDevice
        try emulator.run()
        var nodes: [TestNode] = []
        var bots: [Process] = []
        func stopAll() async {
            for bot in bots where bot.isRunning { bot.terminate() }
            if emulator.isRunning { emulator.terminate() }
            for node in nodes { await node.kill() }
            await postgres.stop()
        }
        do {
            try await eventually("the emulator's ready file", timeout: .seconds(30)) {
                (FileManager.default.contents(atPath: ready)?.count ?? 0) > 0
            }
            let urls = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready))) as? [String: String])
            let control = Control(base: try #require(urls["control"]))
            // Guild 2000 is on shard 0 of 2; guild 4194311 ((1 << 22) | 7) on shard 1. They share the space "team".
            try await control.call("POST", "/guilds", ["id": "2000", "name": "zero"])
            try await control.call("POST", "/guilds", ["id": "4194311", "name": "one"])
            try await control.call("POST", "/channels", ["id": "3000", "guild_id": "2000", "name": "files"])
            try await control.call("POST", "/channels", ["id": "3100", "guild_id": "4194311", "name": "files"])
            try await control.call("POST", "/users", ["id": "501", "username": "ana"])
            try await postgres.createDatabase("bots")
            for i in 0..<2 {
                let node = TestNode(name: "node\(i)", root: dir.path + "/node\(i)")
                try await node.start()
                nodes.append(node)
            }
            let config: [String: Any] = [
                "nodes": nodes.map { ["name": $0.name, "host": "127.0.0.1", "port": $0.port, "user": "bot", "password": "node-secret"] },
                "replicas": 2, "spaces": ["2000": "team", "4194311": "team"],
                "catalog": ["url": postgres.url(database: "bots"), "passwordEnv": "CATALOG_PASSWORD"],
                "apiBaseURL": try #require(urls["api"]), "gatewayURL": try #require(urls["gateway"]),
                "http": ["enabled": false],
            ]
            let configPath = dir.appendingPathComponent("ftpbot.json")
            try JSONSerialization.data(withJSONObject: config).write(to: configPath)
            for shard in 0..<2 {
                let bot = Process()
                bot.executableURL = URL(fileURLWithPath: Binaries.ftpbot)
                bot.arguments = ["--config", configPath.path, "--data", dir.path + "/bot\(shard)", "--shards", "\(shard)/2"]
                var environment = ProcessInfo.processInfo.environment
                environment["DISCORD_TOKEN"] = urls["token"]
                environment["CATALOG_PASSWORD"] = postgres.password
                bot.environment = environment
                bot.standardOutput = FileHandle.nullDevice
                bot.standardError = try FileHandle(forWritingTo: {
                    let log = dir.appendingPathComponent("bot\(shard).log")
                    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                    return log
                }())
                bot.standardInput = FileHandle.nullDevice
                try bot.run()
                bots.append(bot)
            }
            // Both processes connected, each with its one shard.
            try await control.poll("two identifies", "/state") { state -> Bool? in
                ((state as? [String: Any])?["identify_count"] as? Int ?? 0) >= 2 ? true : nil
            }
            try await control.poll("the bot's commands", "/commands") { ($0 as? [Any])?.isEmpty == false ? true : nil }

            // Stored through the process of shard 0…
            let data = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 11) })
            try await control.call("POST", "/messages", [
                "channel_id": "3000", "user_id": "501", "content": "!upload",
                "files": [["filename": "shared.bin", "data_base64": data.base64EncodedString()]],
            ])
            try await control.poll("the upload's answer", "/channels/3000/messages") { answer -> Bool? in
                (answer as? [[String: Any]])?.contains { ($0["content"] as? String)?.contains("Stored **shared.bin**") == true } == true ? true : nil
            }
            // …listed and deleted through the process of shard 1…
            try await control.call("POST", "/messages", ["channel_id": "3100", "user_id": "501", "content": "!list"])
            try await eventually("the other process to list the file", timeout: .seconds(60)) {
                try await Self.channelText(control, "3100").contains("shared.bin")
            }
            try await control.call("POST", "/messages", ["channel_id": "3100", "user_id": "501", "content": "!delete shared.bin"])
            try await eventually("the other process to delete it", timeout: .seconds(60)) {
                try await Self.channelText(control, "3100").contains("Deleted **shared.bin**")
            }
            // …and gone in the first process too, never coming back.
            try await control.call("POST", "/messages", ["channel_id": "3000", "user_id": "501", "content": "!list"])
            try await eventually("the first process to list nothing", timeout: .seconds(60)) {
                try await Self.channelText(control, "3000").contains("No files yet")
            }
            #expect(nodes.allSatisfy { $0.contents("shared.bin", in: "team") == nil })
            #expect(try await postgres.psql("SELECT count(*) FROM seed_files", database: "bots") == "0")
            let state = try #require(try await control.call("GET", "/state") as? [String: Any])
            #expect(state["identify_count"] as? Int == 2, "one shard per process, each identified once")
            for shard in 0..<2 {
                let log = try String(contentsOfFile: dir.path + "/bot\(shard).log", encoding: .utf8)
                #expect(log.contains("shards=\(shard)/2"), "\(log)")
            }
        } catch {
            let logs = (0..<2).map { (try? String(contentsOfFile: dir.path + "/bot\($0).log", encoding: .utf8)) ?? "" }
            await stopAll()
            Issue.record("bot logs:\n\(logs.joined(separator: "\n---\n"))")
            throw error
        }
        await stopAll()
    }
}
