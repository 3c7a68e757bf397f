import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation
import SeedTestSupport
import Testing

/// discord.py, a client nobody here wrote, against the emulator: login, gateway (zlib-stream), a message with an
/// attachment in, a reply with a file out, and the refusals of a file (missing permission, too large) as
/// discord.py's own exceptions read them.
@Suite(.tags(.interop), .inTestSet(.interop)) struct DiscordPyInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers/discordpy_bot.py").path

    @Test func discordPyLogsInReceivesAnAttachmentAndRepliesWithAFile() async throws {
        // scripts/setup installs discord.py; without it this fails (never skips), so CI cannot pass untested.
        let probe = try await Self.python(["-c", "import discord, yarl"], wait: true)
        #expect(probe.status == 0, "discord.py is not installed: run scripts/setup (pip install discord.py)\n\(probe.output)")
        guard probe.status == 0 else { return }

        try await withEmulator { emulator, _ in
            let bot = try await Self.python([Self.script, await emulator.apiBaseURL, await emulator.gatewayURL,
                                             "emulator-token"], wait: false)
            do {
                let process = bot.process
                try await emulator.wait(timeout: .seconds(60), "discord.py to identify") {
                    $0.identifyCount == 1 || !process.isRunning ? true : nil
                }
                #expect(await emulator.identifyCount == 1, "\(bot.output)")
                // discord.py asks for zlib-stream transport compression.
                #expect(await emulator.requests.contains { $0.path == "/api/v10/users/@me" && $0.status == 200 })
                let payload = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
                // on_ready: discord.py has processed READY and the GUILD_CREATEs (it caches the channel then).
                try await waitFor("discord.py's on_ready", timeout: .seconds(60)) { bot.output.contains("READY ") }
                // A boost tier change reaches discord.py as GUILD_UPDATE, applied to the guild it cached.
                await emulator.setBoostTier(2, guild: "2000")
                try await waitFor("discord.py's on_guild_update", timeout: .seconds(30)) { bot.output.contains("GUILD_UPDATE 2000 tier 0->2") }
                await emulator.setBoostTier(0, guild: "2000")
                try await waitFor("discord.py's second on_guild_update", timeout: .seconds(30)) { bot.output.contains("GUILD_UPDATE 2000 tier 2->0") }
                await emulator.setBotMayAttachFiles(false, channel: "3001")
                try await emulator.postMessage(
                    channel: filesChannel, author: ana, content: "!reverse", files: [("data.bin", payload)])
                let reply = try await emulator.wait(timeout: .seconds(30), "discord.py's reply") { e in
                    e.messages(in: filesChannel).first { $0.author.id == "1000" }
                }
                #expect(reply.content == "reversed data.bin (50000 bytes) for ana")
                #expect(reply.attachments.first?.filename == "reversed.bin")
                let sent = try #require(await emulator.attachmentData(url: reply.attachments.first?.url ?? ""))
                #expect(sent == Data(payload.reversed()))
                // discord.py reads the emulator's refusals as Discord's: Forbidden 50013, and 413 with 40005.
                #expect(bot.output.contains("FORBIDDEN 403 50013") && bot.output.contains("TOO LARGE 413 40005"), "\(bot.output)")
                let status = try await bot.exit(timeout: .seconds(30))
                #expect(status == 0, "\(bot.output)")
            } catch {
                Issue.record("discord.py output:\n\(bot.output)\nrequests: \(await emulator.requests)")
                bot.kill()
                throw error
            }
        }
    }

    /// discord.py's `app_commands` against the standalone `discord-emulator`, driven through its control API only:
    /// a deferred slash command with a file follow-up, autocomplete, a button, an ephemeral answer, and the
    /// zlib-stream compression discord.py negotiates (the script states each check; see its docstring).
    @Test func discordPyAppCommandsAgainstTheStandaloneEmulator() async throws {
        let probe = try await Self.python(["-c", "import discord, yarl"], wait: true)
        #expect(probe.status == 0, "discord.py is not installed: run scripts/setup (pip install discord.py)\n\(probe.output)")
        guard probe.status == 0 else { return }
        let binary = Binaries.path("discord-emulator")
        #expect(FileManager.default.isExecutableFile(atPath: binary), "build the discord-emulator product first")
        let script = URL(fileURLWithPath: Self.script).deletingLastPathComponent()
            .appendingPathComponent("discordpy_app_commands.py").path
        let run = try await Self.python([script, binary], wait: false)
        let status = try await run.exit(timeout: .seconds(120))
        let output = run.output
        #expect(status == 0, "\(output)")
        for check in ["autocomplete", "deferred", "follow-up with a file", "button", "ephemeral", "zlib-stream"] {
            #expect(output.contains("PASS \(check)"), "\(output)")
        }
    }

    /// A python3 child whose output goes to a file (never a pipe that could fill up).
    final class Child: Sendable {
        let process: Process
        let log: URL
        init(process: Process, log: URL) {
            self.process = process
            self.log = log
        }

        deinit { try? FileManager.default.removeItem(at: self.log) }

        var output: String { (try? String(contentsOf: self.log, encoding: .utf8)) ?? "" }
        var status: Int32 { self.process.terminationStatus }

        func exit(timeout: Duration) async throws -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while self.process.isRunning {
                guard ContinuousClock.now < deadline else {
                    self.kill()
                    throw EmulatorError.timeout("python to exit")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return self.process.terminationStatus
        }

        func kill() {
            if self.process.isRunning { self.process.terminate() }
        }
    }

    static func python(_ arguments: [String], wait: Bool) async throws -> Child {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("py-\(UUID().uuidString).log")
        try Data().write(to: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let child = Child(process: process, log: log)
        if wait { _ = try await child.exit(timeout: .seconds(60)) }
        return child
    }
}
