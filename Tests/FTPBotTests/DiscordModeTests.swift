import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import FTPKit
import FTPTestSupport
import Foundation
import SeedTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

/// One FTP node of the test cluster, in this process, over a temporary directory (``TestFTPNode``); it can be
/// killed and started again.
final class TestNode: Sendable {
    let root: String
    let slow: Bool
    /// What a slow node's storage counts and how it slows down.
    let traffic = NodeTraffic()
    let node: TestFTPNode
    private let listingCount = ListingCountingStorage.Counter()

    init(name: String, root: String, slow: Bool = false) {
        self.root = root
        self.slow = slow
        let traffic = self.traffic
        let listingCount = self.listingCount
        self.node = TestFTPNode(name: name, user: "bot", password: "node-secret") {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let local = try LocalFileStorage(root: root)
            return ListingCountingStorage(slow ? SlowReads(base: local, traffic: traffic) : local, counter: listingCount)
        }
    }

    /// Directory listings the node has served.
    var listings: Int { self.listingCount.value }

    var name: String { self.node.name }
    var port: Int { self.node.port }
    func start() async throws { try await self.node.start() }
    func kill() async { await self.node.kill() }

    /// Whether the node holds `name` in `space`'s directory (the test guild's space by default).
    func holds(_ name: String, in space: String = "guild-2000") -> Bool {
        FileManager.default.fileExists(atPath: "\(self.root)/\(space)/\(name)")
    }

    func contents(_ name: String, in space: String = "guild-2000") -> Data? {
        FileManager.default.contents(atPath: "\(self.root)/\(space)/\(name)")
    }

    /// Whether an upload is being written here right now (FTPKit's temporary file beside the target, in a space).
    var isReceiving: Bool {
        let spaces = (try? FileManager.default.contentsOfDirectory(atPath: self.root)) ?? []
        return spaces.contains { space in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(self.root)/\(space)")) ?? []).contains { $0.hasPrefix(".seed-upload-") }
        }
    }
}

/// What a slow node's storage counts, and how long its deletes take.
final class NodeTraffic: Sendable {
    /// Reads in progress: tells which replica serves a download.
    let readers = Mutex(0)
    /// Bytes read so far, by every read.
    let bytesRead = Mutex(0)
    let deleteDelay = Mutex(Duration.zero)
}

/// A node's storage whose downloads trickle (about 1 MB/s), so a test can act in the middle of one.
struct SlowReads: FTPStorage {
    let base: LocalFileStorage
    let traffic: NodeTraffic

    struct Handle: FTPReadHandle {
        let base: any FTPReadHandle
        let traffic: NodeTraffic
        var remaining: UInt64 { self.base.remaining }
        var fileRegion: (descriptor: CInt, offset: UInt64, length: UInt64)? { nil }
        func read(maxLength: Int, allocator: ByteBufferAllocator) async throws -> ByteBuffer? {
            try await Task.sleep(for: .milliseconds(64))
            let chunk = try await self.base.read(maxLength: min(maxLength, 64 * 1024), allocator: allocator)
            self.traffic.bytesRead.withLock { $0 += chunk?.readableBytes ?? 0 }
            return chunk
        }
        func close() async {
            self.traffic.readers.withLock { $0 -= 1 }
            await self.base.close()
        }
    }

    func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        let handle = try await self.base.openForReading(path, offset: offset)
        self.traffic.readers.withLock { $0 += 1 }
        return Handle(base: handle, traffic: self.traffic)
    }
    func info(at path: FTPPath) async throws -> FTPFileInfo { try await self.base.info(at: path) }
    func list(directory path: FTPPath) async throws -> [FTPFileInfo] { try await self.base.list(directory: path) }
    func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle {
        try await self.base.openForWriting(path, mode: mode)
    }
    func remove(_ path: FTPPath) async throws {
        let delay = self.traffic.deleteDelay.withLock { $0 }
        if delay > .zero { try await Task.sleep(for: delay) }
        try await self.base.remove(path)
    }
    func rename(_ from: FTPPath, to: FTPPath) async throws { try await self.base.rename(from, to: to) }
    func makeDirectory(_ path: FTPPath) async throws { try await self.base.makeDirectory(path) }
    func removeDirectory(_ path: FTPPath) async throws { try await self.base.removeDirectory(path) }
    func setModificationTime(_ path: FTPPath, to date: Date) async throws { try await self.base.setModificationTime(path, to: date) }
    func setPermissions(_ path: FTPPath, to mode: UInt16) async throws { try await self.base.setPermissions(path, to: mode) }
    func availableSpace(at path: FTPPath) async throws -> UInt64? { try await self.base.availableSpace(at: path) }
}

/// The real `ftpbot` binary on the emulated Discord, with three real FTP nodes.
final class BotHarness: Sendable {
    static var binary: String { Binaries.ftpbot }

    let emulator: DiscordEmulator
    let nodes: [TestNode]
    let dir: URL
    let process: Process
    let stderrPath: URL

    static let ana = User(id: "501", username: "ana")
    static let bruno = User(id: "502", username: "bruno")
    static let admin = User(id: "503", username: "carla")
    static let adminRole: Snowflake = "777"
    static let channel: Snowflake = "3000"

    private init(emulator: DiscordEmulator, nodes: [TestNode], dir: URL, process: Process, stderrPath: URL) {
        self.emulator = emulator
        self.nodes = nodes
        self.dir = dir
        self.process = process
        self.stderrPath = stderrPath
    }

    static func start(
        extra: [String: Any] = [:], token: String = "emulator-token", cdnBytesPerSecond: Int? = nil,
        slowNodes: Bool = false, guildCommands: Bool = true, messageContentIntent: Bool = true
    ) async throws -> BotHarness {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("botd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Two servers (3000 and 3001 are in 2000, 4000 in 2500) and a direct-message channel (4100, no server).
        var emulatorConfiguration = DiscordEmulator.Configuration(
            guilds: [EmulatedGuild(id: "2000", name: "Emulated guild"), EmulatedGuild(id: "2500", name: "Another guild")],
            channels: [EmulatedChannel(id: "3000", type: 0, guildID: "2000", name: "files"),
                       EmulatedChannel(id: "3001", type: 0, guildID: "2000", name: "other"),
                       EmulatedChannel(id: "4000", type: 0, guildID: "2500", name: "files"),
                       EmulatedChannel(id: "4100", type: 1, guildID: nil, name: nil)],
            heartbeatIntervalMilliseconds: 2000, messageContentIntentAllowed: messageContentIntent)
        emulatorConfiguration.cdnBytesPerSecond = cdnBytesPerSecond
        let emulator = DiscordEmulator(configuration: emulatorConfiguration)
        try await emulator.start()
        var nodes: [TestNode] = []
        for i in 0..<3 {
            let node = TestNode(name: "node\(i)", root: dir.path + "/node\(i)", slow: slowNodes)
            try await node.start()
            nodes.append(node)
        }
        var config: [String: Any] = [
            "nodes": nodes.map { ["name": $0.name, "host": "127.0.0.1", "port": $0.port, "user": "bot",
                                  "passwordEnv": "NODE_PASSWORD"] },
            "replicas": 2,
            "dataDirectory": dir.path + "/bot",
            "adminRoles": [Self.adminRole.rawValue],
            "apiBaseURL": await emulator.apiBaseURL,
            "gatewayURL": await emulator.gatewayURL,
            "guildID": "2000",
            "http": ["address": "127.0.0.1:0"],
        ]
        for (k, v) in extra { config[k] = v }
        // Without a guild, the commands are registered globally (every server the bot is in gets them).
        if !guildCommands { config["guildID"] = nil }
        let configPath = dir.appendingPathComponent("ftpbot.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config", configPath.path]
        var env = ProcessInfo.processInfo.environment
        env["DISCORD_TOKEN"] = token
        env["DISCORD_TOKEN_FILE"] = nil
        env["NODE_PASSWORD"] = "node-secret"
        process.environment = env
        let stderrPath = dir.appendingPathComponent("stderr.txt")
        try Data().write(to: stderrPath)
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return BotHarness(emulator: emulator, nodes: nodes, dir: dir, process: process, stderrPath: stderrPath)
    }

    var stderr: String { (try? String(contentsOf: self.stderrPath, encoding: .utf8)) ?? "" }

    /// Runs `body` with this bot, then stops it (process, nodes, emulator); when `body` throws, the bot's log is
    /// recorded first.
    func running(_ body: (BotHarness) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            Issue.record("ftpbot stderr:\n\(self.stderr.suffix(6000))")
            await self.stop()
            throw error
        }
        await self.stop()
    }

    /// The bot process stopped (SIGTERM, as a deploy does) and started again with the same configuration, beside
    /// the same emulator and nodes; returns once the new process has identified.
    func restarted() async throws -> BotHarness {
        let identified = await self.emulator.identifyCount
        self.process.terminate()
        _ = try await self.exitStatus()
        let process = Process()
        process.executableURL = self.process.executableURL
        process.arguments = self.process.arguments
        process.environment = self.process.environment
        let stderrPath = self.dir.appendingPathComponent("stderr-\(identified + 1).txt")
        try Data().write(to: stderrPath)
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try await self.emulator.wait(timeout: .seconds(60), "the restarted bot's IDENTIFY") {
            $0.identifyCount > identified ? true : nil
        }
        return BotHarness(emulator: self.emulator, nodes: self.nodes, dir: self.dir, process: process, stderrPath: stderrPath)
    }

    func waitUntilReady() async throws {
        try await self.emulator.wait(timeout: .seconds(60), "the bot's READY and commands") {
            $0.identifyCount >= 1 && (!($0.guildCommands["2000"] ?? []).isEmpty || !$0.globalCommands.isEmpty) ? true : nil
        }
    }

    /// Waits for the process to exit (without blocking a thread).
    func exitStatus(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            guard ContinuousClock.now < deadline else { throw EmulatorError.timeout("ftpbot to exit") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return self.process.terminationStatus
    }

    func stop() async {
        if self.process.isRunning { self.process.terminate() }
        _ = try? await self.exitStatus()
        for node in self.nodes { await node.kill() }
        await self.emulator.shutdown()
        try? FileManager.default.removeItem(at: self.dir)
    }

    /// Posts `content` as `user` and returns the bot's reply to it once `done` says it is final.
    func say(
        _ content: String, as user: User = ana, roles: [Snowflake] = [], files: [(filename: String, data: Data)] = [],
        claimedSizes: [String: Int] = [:], in channel: Snowflake = BotHarness.channel,
        until done: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) async throws -> Message {
        let before = await self.emulator.messages(in: channel).count
        try await self.emulator.postMessage(
            channel: channel, author: user, roles: roles, content: content, files: files, claimedSizes: claimedSizes)
        return try await self.emulator.wait(timeout: .seconds(60), "the reply to \(content)") { e in
            e.messages(in: channel).dropFirst(before).first { $0.author.id == "1000" && done($0) }
        }
    }

    /// Runs a slash command and returns its original response once `done` says it is final.
    func slash(
        _ name: String, _ options: [String: JSONValue] = [:], as user: User = ana, roles: [Snowflake] = [],
        files: [String: (filename: String, data: Data)] = [:],
        until done: @escaping @Sendable (Message) -> Bool = { !$0.content.isEmpty || !$0.embeds.isEmpty }
    ) async throws -> (Interaction, Message) {
        let interaction = try await self.emulator.invokeCommand(
            name, options: options, files: files, user: user, roles: roles, channel: Self.channel)
        let message = try await self.emulator.wait(timeout: .seconds(60), "/\(name)") { e in
            e.originalMessage(of: interaction).flatMap { done($0) ? $0 : nil }
        }
        return (interaction, message)
    }
}

func bytes(_ count: Int, seed: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &+ $0 >> 11) })
}

@Suite(.tags(.interop), .inTestSet(.interop), .serialized) struct DiscordModeTests {
    @Test func everyCommandAsPrefixAndSlashCommand() async throws {
        try await BotHarness.start(extra: ["metricsAddress": "127.0.0.1:0"]).running { bot in
            try await bot.waitUntilReady()
            let registered = await bot.emulator.guildCommands["2000"]?.map(\.name) ?? []
            #expect(Set(registered) == ["upload", "download", "list", "delete", "share", "unshare", "uploadlink", "status", "cluster", "help"])

            // Upload as a prefix command with an attachment, and as a slash command with a name.
            let report = bytes(300_000, seed: 1)
            let up = try await bot.say("!upload", files: [("report.pdf", report)]) { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            #expect(up.content.contains("✅ Stored **report.pdf** (293.0 KiB"), "\(up.content)")
            #expect(bot.nodes.filter { $0.holds("report.pdf") }.count == 2)
            let notes = bytes(5_000, seed: 2)
            let (_, slashUp) = try await bot.slash(
                "upload", ["name": .string("notes v2.txt")], as: BotHarness.bruno, files: ["file": ("notes.txt", notes)]
            ) { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            #expect(slashUp.content.contains("**notes v2.txt**"), "\(slashUp.content)")

            // Listing, both ways, in an embed.
            let listed = try await bot.say("!listar")
            let listText = listed.embeds.first?.description ?? ""
            #expect(listText.contains("`report.pdf` — 293.0 KiB") && listText.contains("<@501>"), "\(listText)")
            #expect(listText.contains("✅ 2/2"), "\(listText)")
            #expect(listed.embeds.first?.footer?.text.contains("2 files") == true)
            let (_, slashList) = try await bot.slash("list", ["filter": .string("notes")])
            #expect(slashList.embeds.first?.description?.contains("notes v2.txt") == true)
            #expect(slashList.embeds.first?.description?.contains("report.pdf") == false)

            // Download attaches the file, both ways; a typo gets suggestions.
            let got = try await bot.say("!download report.pdf") { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: got.attachments[0].url) == report)
            let (_, slashGot) = try await bot.slash("download", ["name": .string("notes v2.txt")]) {
                !$0.attachments.isEmpty
            }
            #expect(await bot.emulator.attachmentData(url: slashGot.attachments[0].url) == notes)
            let typo = try await bot.say("!download reprot.pdf")
            #expect(typo.content.contains("No file named **reprot.pdf**. Did you mean `report.pdf`?"), "\(typo.content)")

            // Autocomplete offers stored names.
            let ac = try await bot.emulator.requestAutocomplete(
                "download", option: "name", typed: "rep", user: BotHarness.ana, channel: BotHarness.channel)
            let choices = try await bot.emulator.wait("choices") { $0.response(to: ac)?.data?.choices }
            #expect(choices.map(\.name) == ["report.pdf"])

            // Status and help.
            let status = try await bot.say("!status")
            #expect(status.embeds.first?.fields?.count == 3)
            #expect(status.embeds.first?.fields?.allSatisfy { $0.value.contains("🟢 up") } == true)
            let (_, help) = try await bot.slash("help")
            #expect(help.embeds.first?.description?.contains("`!upload [NAME]` or `/upload`") == true,
                    "\(help.embeds.first?.description ?? "")")

            // Delete: only the uploader or an admin; slash asks for confirmation.
            let forbidden = try await bot.say("!apagar report.pdf", as: BotHarness.bruno)
            #expect(forbidden.content.contains("Only <@501> or a member of an admin role"), "\(forbidden.content)")
            #expect(bot.nodes.filter { $0.holds("report.pdf") }.count == 2)
            let (_, ask) = try await bot.slash("delete", ["name": .string("report.pdf")])
            let yes = try #require(ask.components.first?.components?.first?.customID)
            // Someone else's click does nothing.
            let intruder = try await bot.emulator.pressButton(message: ask.id, customID: yes, user: BotHarness.bruno)
            try await bot.emulator.wait("the refusal") { $0.response(to: intruder) }
            #expect(bot.nodes.filter { $0.holds("report.pdf") }.count == 2)
            let press = try await bot.emulator.pressButton(message: ask.id, customID: yes, user: BotHarness.ana)
            // Acknowledged at once, the message edited when the delete is done.
            #expect(try await bot.emulator.wait("the acknowledgement") { $0.response(to: press) }.type == .deferredUpdateMessage)
            try await bot.emulator.wait("the deletion") { e in
                e.message(ask.id)?.content.contains("Deleted **report.pdf**") == true ? true : nil
            }
            #expect(bot.nodes.allSatisfy { !$0.holds("report.pdf") })
            // An admin may delete someone else's file with the prefix command.
            let adminDelete = try await bot.say("!delete notes v2.txt", as: BotHarness.admin, roles: [BotHarness.adminRole])
            #expect(adminDelete.content.contains("Deleted **notes v2.txt**"), "\(adminDelete.content)")

            // Operator commands: admins only; a scrub checks every replica and answers with the summary.
            let refused = try await bot.say("!cluster scrub", as: BotHarness.bruno)
            #expect(refused.content.contains("Only a member of an admin role may run cluster scrub"), "\(refused.content)")
            let scrub = try await bot.say("!cluster scrub", as: BotHarness.admin, roles: [BotHarness.adminRole]) {
                $0.content.contains("cluster scrub:")
            }
            #expect(scrub.content.contains("✅ cluster scrub:") && scrub.content.contains("0 replicas copied"), "\(scrub.content)")
            let usage = try await bot.say("!cluster defrag", as: BotHarness.admin, roles: [BotHarness.adminRole])
            #expect(usage.content.contains("Use: cluster drain NODE"), "\(usage.content)")

            // Metrics: commands by result, node health, bytes through the cluster.
            let port = try #require(bot.stderr.split(separator: "metrics_port=").dropFirst().first
                .flatMap { Int($0.prefix { $0.isNumber }) }, "\(bot.stderr)")
            let metrics = try await Self.fetch("http://127.0.0.1:\(port)/metrics")
            for line in [#"discord_commands_total{command="upload",result="ok"} 2"#,
                         #"seed_node_up{node="node0"} 1"#, #"seed_cluster_bytes_total{direction="stored"} "#] {
                #expect(metrics.contains(line), "missing \(line) in:\n\(metrics)")
            }
        }
    }

    @Test func eachServerAndEachDirectMessageSeesOnlyItsOwnFiles() async throws {
        try await BotHarness.start(guildCommands: false).running { bot in
            try await bot.waitUntilReady()
            let plans = bytes(20_000, seed: 21)
            _ = try await bot.say("!upload", files: [("plans.txt", plans)]) { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            #expect(bot.nodes.filter { $0.holds("plans.txt", in: "guild-2000") }.count == 2)

            // Another server: nothing listed, found, downloaded or deleted; its own file of the same name is separate.
            let listed = try await bot.say("!list", in: "4000")
            #expect(listed.embeds.first?.description?.contains("No files yet") == true, "\(listed.embeds)")
            let missing = try await bot.say("!download plans.txt", in: "4000")
            #expect(missing.content.contains("No file named **plans.txt**"), "\(missing.content)")
            let denied = try await bot.say("!delete plans.txt", in: "4000")
            #expect(denied.content.contains("No file named **plans.txt**"), "\(denied.content)")
            let theirs = bytes(5_000, seed: 22)
            let stored = try await bot.say("!upload", files: [("plans.txt", theirs)], in: "4000") { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            #expect(stored.content.contains("✅ Stored **plans.txt**") && !stored.content.contains("existed"), "\(stored.content)")
            let got = try await bot.say("!download plans.txt", in: "4000") { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: got.attachments[0].url) == theirs)
            let ours = try await bot.say("!download plans.txt") { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: ours.attachments[0].url) == plans)

            // Direct messages are a space of the person's own.
            let dm = try await bot.say("!list", in: "4100")
            #expect(dm.embeds.first?.description?.contains("No files yet") == true, "\(dm.embeds)")
            // Completion offers only the server's names.
            let ac = try await bot.emulator.requestAutocomplete(
                "download", option: "name", typed: "pl", user: BotHarness.ana, channel: "4000")
            let choices = try await bot.emulator.wait("choices") { $0.response(to: ac)?.data?.choices }
            #expect(choices.map(\.name) == ["plans.txt"])
            #expect(bot.nodes.filter { $0.holds("plans.txt", in: "guild-2500") }.count == 2)
        }
    }

    @Test func limitsNamesAndTwoUsersAtOnce() async throws {
        try await BotHarness.start(extra: ["maxFileSize": 12_000_000, "userQuota": 13_000_000]).running { bot in
            try await bot.waitUntilReady()
            // Two users upload at the same time.
            async let a = bot.say("!upload", as: BotHarness.ana, files: [("a.bin", bytes(2_000_000, seed: 3))]) { $0.content.contains("a.bin") && !$0.content.contains("Uploading") }
            async let b = bot.slash("upload", as: BotHarness.bruno, files: ["file": ("b.bin", bytes(2_000_000, seed: 4))]) { $0.content.contains("b.bin") && !$0.content.contains("Uploading") }
            let (ra, rb) = try await (a, b)
            #expect(ra.content.contains("✅") && rb.1.content.contains("✅"), "\(ra.content) / \(rb.1.content)")

            // A file over the channel's upload limit gets its size and the limit, not a failed upload.
            // (The server is boosted while a user posts it — users cannot attach more than their server allows — and
            // loses the boost before it is asked for.)
            let big = bytes(10_600_000, seed: 5)
            await bot.emulator.setBoostTier(2, guild: "2000")
            _ = try await bot.say("!upload", files: [("big.iso", big)]) { $0.content.contains("big.iso") && !$0.content.contains("Uploading") }
            await bot.emulator.setBoostTier(0, guild: "2000")
            let (_, tooBig) = try await bot.slash("download", ["name": .string("big.iso")])
            #expect(tooBig.content.contains("**big.iso** is 10.1 MiB, over this channel's upload limit of 10.0 MiB"),
                    "\(tooBig.content)")
            let prefixTooBig = try await bot.say("!download big.iso")
            #expect(prefixTooBig.content.contains("over this channel's upload limit of 10.0 MiB"), "\(prefixTooBig.content)")
            // … with a link that serves it, byte for byte.
            let link = try #require(Self.url(in: prefixTooBig.content), "\(prefixTooBig.content)")
            #expect(link.contains("/d/") && link.hasSuffix("/big.iso"))
            let fetched = try await Command.run(["curl", "-sS", link])
            #expect(fetched.stdout == big, "\(fetched.stderr)")
            // A boost gained counts from the next command: the gateway's GUILD_UPDATE tells the bot the new limit
            // (which it had just asked Discord for and would otherwise keep for an hour), so the file is attached.
            await bot.emulator.setBoostTier(2, guild: "2000")
            let boosted = try await bot.say("!download big.iso") { !$0.attachments.isEmpty || $0.content.contains("limit") }
            #expect(boosted.attachments.count == 1, "\(boosted.content)")
            if let attached = boosted.attachments.first { #expect(await bot.emulator.attachmentData(url: attached.url) == big) }
            await bot.emulator.setBoostTier(0, guild: "2000")
            let unboosted = try await bot.say("!download big.iso")
            #expect(unboosted.content.contains("over this channel's upload limit of 10.0 MiB"), "\(unboosted.content)")

            // Size limit and quota (the server is boosted so that its members can attach 12.5 MB at all).
            await bot.emulator.setBoostTier(2, guild: "2000")
            let huge = try await bot.say("!upload", files: [("huge.bin", bytes(12_500_000, seed: 6))]) { $0.content.contains("huge.bin") && !$0.content.contains("Uploading") }
            await bot.emulator.setBoostTier(0, guild: "2000")
            #expect(huge.content.contains("the limit is 11.4 MiB per file"), "\(huge.content)")
            let over = try await bot.say("!upload", files: [("more.bin", bytes(1_000_000, seed: 7))]) { $0.content.contains("more.bin") && !$0.content.contains("Uploading") }
            #expect(over.content.contains("would put you over your quota"), "\(over.content)")

            // Unsafe names are cleaned visibly or refused.
            let cleaned = try await bot.say("!upload ../../etc/passwd", as: BotHarness.bruno,
                                            files: [("x.txt", Data("x".utf8))]) {
                ($0.content.contains("✅") || $0.content.contains("❌")) && !$0.content.contains("Uploading")
            }
            #expect(cleaned.content.contains("cleaned from") || cleaned.content.contains("cannot be used"), "\(cleaned.content)")
            #expect(!FileManager.default.fileExists(atPath: bot.dir.path + "/etc/passwd"))
            // Without an attachment, an upload page; using it is announced in the channel.
            let noFile = try await bot.say("!upload")
            let page = try #require(Self.url(in: noFile.content), "\(noFile.content)")
            #expect(page.contains("/u/"))
            let local = bot.dir.appendingPathComponent("web.bin")
            try bytes(200_000, seed: 23).write(to: local)
            let before = await bot.emulator.messages(in: BotHarness.channel).count
            let put = try await Command.run(["curl", "-sS", "-w", "%{http_code}", "-T", local.path, page + "/"])
            #expect(put.text.hasSuffix("201"), "\(put.text) \(put.stderr)")
            let told = try await bot.emulator.wait("the upload notice") { e in
                e.messages(in: BotHarness.channel).dropFirst(before).first { $0.content.contains("through the upload page") }
            }
            #expect(told.content.contains("<@501> stored **web.bin** (195.3 KiB"), "\(told.content)")
            let back = try await bot.say("!download web.bin") { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: back.attachments[0].url) == bytes(200_000, seed: 23))
        }
    }

    @Test func nodesDyingAndRateLimitsDuringProgress() async throws {
        try await BotHarness.start().running { bot in
            try await bot.waitUntilReady()
            let data = bytes(1_000_000, seed: 8)
            _ = try await bot.say("!upload", files: [("kept.bin", data)]) { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            let holders = bot.nodes.filter { $0.holds("kept.bin") }
            #expect(holders.count == 2)

            // A node holding the file dies: downloads come from the other replica, uploads go elsewhere.
            await holders[0].kill()
            let got = try await bot.say("!download kept.bin") { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: got.attachments[0].url) == data)
            let after = try await bot.say("!upload", files: [("after.bin", bytes(100_000, seed: 9))]) { $0.content.contains("after.bin") && !$0.content.contains("Uploading") }
            #expect(after.content.contains("✅"), "\(after.content)")
            #expect(!after.content.contains(holders[0].name), "\(after.content)")
            let listing = try await bot.say("!list")
            #expect(listing.embeds.first?.description?.contains("Unreachable: \(holders[0].name)") == true)

            // A slow attachment fetch shows progress; Discord answers the progress edit with a 429, the bot
            // waits it out and still ends with the result.
            await bot.emulator.inject(.init(pathPrefix: "/attachments/", status: 200, delay: .seconds(4.5)))
            await bot.emulator.inject(.init(method: "PATCH", pathPrefix: "/channels/3000/messages/", status: 429,
                                            retryAfter: 0.3))
            let slow = try await bot.say("!upload", files: [("slow.bin", bytes(50_000, seed: 10))]) { $0.content.contains("Stored **slow.bin**") && !$0.content.contains("Uploading") }
            #expect(slow.content.contains("✅"))
            let recent = await bot.emulator.requests.suffix(12)
            #expect(await bot.emulator.requests.contains { $0.method == "PATCH" && $0.status == 429 }, "\(recent)")
            #expect(await bot.emulator.requests.contains { $0.method == "PATCH" && $0.status == 200 })

            // Every node down: one clear sentence, and the bot keeps running.
            for node in bot.nodes { await node.kill() }
            let failed = try await bot.say("!upload", files: [("lost.bin", bytes(10_000, seed: 11))]) { $0.content.contains("lost.bin") && !$0.content.contains("Uploading") }
            #expect(failed.content.hasPrefix("❌ **lost.bin** was not stored:"), "\(failed.content)")
            let status = try await bot.say("!status")
            #expect(status.embeds.first?.fields?.allSatisfy { $0.value.contains("🔴 down") } == true)

            // SIGTERM: the gateway is closed cleanly and the process exits 0.
            bot.process.terminate()
            #expect(try await bot.exitStatus() == 0)
            try await bot.emulator.wait("the gateway to close") { $0.openGatewayConnections == 0 ? true : nil }
        }
    }

    /// Discord's CDN stops sending an attachment mid-way: the person is told so in one sentence within the stall
    /// limit (1 s here, instead of the hour the transfer may last), nothing is stored, and the name is free again.
    @Test func anAttachmentTheCDNStopsSendingIsRefusedPlainly() async throws {
        try await BotHarness.start(extra: ["discordStallTimeout": 1]).running { bot in
            try await bot.waitUntilReady()
            let data = bytes(3_000_000, seed: 14)
            await bot.emulator.inject(.init(pathPrefix: "/attachments/", status: 200, stallAfterBytes: 500_000))
            let answer = try await bot.say("!upload", files: [("stalled.bin", data)]) {
                $0.content.contains("stalled.bin") && !$0.content.contains("Uploading")
            }
            #expect(answer.content == "❌ **stalled.bin** was not stored: Discord stopped sending the attachment for 1 second; send it again.",
                    "\(answer.content)")
            #expect(!answer.content.contains("GET attachment"), "\(answer.content)")
            for node in bot.nodes { #expect(!node.holds("stalled.bin"), "\(node.name)") }
            // Sent again, it is stored under its own name (the failed upload held nothing back).
            let again = try await bot.say("!upload", files: [("stalled.bin", data)]) {
                $0.content.contains("stalled.bin") && !$0.content.contains("Uploading")
            }
            #expect(again.content.contains("✅ Stored **stalled.bin**"), "\(again.content)")
            #expect(bot.nodes.filter { $0.contents("stalled.bin") == data }.count == 2)
        }
    }

    /// An attachment's stated size is Discord's word, not the bytes': one below zero (it trapped the bot converting it)
    /// is no size, and one that does not match what arrives stores nothing.
    @Test func attachmentSizesThatAreWrongStoreNothingWrong() async throws {
        try await BotHarness.start().running { bot in
            try await bot.waitUntilReady()
            let data = bytes(300_000, seed: 21)
            func upload(_ name: String, claiming size: Int) async throws -> String {
                try await bot.say("!upload", files: [(name, data)], claimedSizes: [name: size]) {
                    $0.content.contains(name) && !$0.content.contains("Uploading")
                }.content
            }
            let negative = try await upload("negative.bin", claiming: -1)
            #expect(negative.contains("✅ Stored **negative.bin**"), "\(negative)")
            #expect(bot.nodes.filter { $0.contents("negative.bin") == data }.count == 2)
            let small = try await upload("small.bin", claiming: 10)
            let large = try await upload("large.bin", claiming: 3_000_000)
            for (name, answer) in [("small.bin", small), ("large.bin", large)] {
                #expect(answer.hasPrefix("❌ **\(name)** ") && answer.contains("announced") && answer.contains("nothing was stored"), "\(answer)")
                for node in bot.nodes { #expect(!node.holds(name), "\(node.name) holds \(name)") }
            }
            let status = try await bot.say("!status")
            #expect(!status.content.isEmpty || !status.embeds.isEmpty, "the bot still answers")
        }
    }

    /// Discord refuses a file the bot attaches — the guild lost its boosts and the bot missed the event saying so (413), or
    /// the bot lacks Attach Files in the channel (403, 50013) — and the person gets a link instead of "Discord could
    /// not be reached; try again"; the new limit is asked for, so the next download is a link straight away.
    @Test func aFileDiscordWillNotTakeAsAnAttachmentComesAsALink() async throws {
        try await BotHarness.start().running { bot in
            try await bot.waitUntilReady()
            await bot.emulator.setBoostTier(2, guild: "2000")
            let data = bytes(12_000_000, seed: 15)
            let stored = try await bot.say("!upload", files: [("boosted.bin", data)]) {
                $0.content.contains("boosted.bin") && !$0.content.contains("Uploading")
            }
            #expect(stored.content.contains("✅ Stored **boosted.bin**"), "\(stored.content)")
            let attached = try await bot.say("!download boosted.bin") { !$0.attachments.isEmpty || $0.content.contains("📎") }
            #expect(attached.attachments.count == 1, "\(attached.content)")

            // The boost runs out without the bot hearing of it (a missed GUILD_UPDATE): Discord's 413 corrects it.
            await bot.emulator.setBoostTier(0, guild: "2000", announce: false)
            let linked = try await bot.say("!download boosted.bin") {
                $0.content.contains("📎") || !$0.attachments.isEmpty || $0.content.contains("Sorry")
            }
            #expect(linked.content.contains("**boosted.bin** is 11.4 MiB, over this channel's upload limit of 10.0 MiB; download it here until"),
                    "\(linked.content)")
            let url = try #require(Self.url(in: linked.content), "\(linked.content)")
            #expect(try await Self.fetch(url, "-o", "/dev/null", "-w", "%{http_code} %{size_download}") == "200 12000000")
            let refusals = await bot.emulator.requests.filter { $0.status == 413 }.count
            #expect(refusals == 1)
            let again = try await bot.say("!download boosted.bin") { $0.content.contains("📎") || !$0.attachments.isEmpty }
            #expect(again.content.contains("over this channel's upload limit of 10.0 MiB"), "\(again.content)")
            #expect(await bot.emulator.requests.filter { $0.status == 413 }.count == refusals, "the new limit was used")

            // Attach Files denied in the channel: a link, saying why.
            _ = try await bot.say("!upload", files: [("small.txt", Data("hello".utf8))]) { $0.content.contains("Stored **small.txt**") }
            await bot.emulator.setBotMayAttachFiles(false, channel: "3000")
            let denied = try await bot.say("!download small.txt") { $0.content.contains("📎") || !$0.attachments.isEmpty || $0.content.contains("Sorry") }
            #expect(denied.content.contains("**small.txt** cannot be attached here: I lack the Attach Files permission in this channel; download it here until"),
                    "\(denied.content)")
            #expect(await bot.emulator.requests.contains { $0.status == 403 })
        }
    }

    @Test func aNodeKilledDuringAnUploadLosesNothing() async throws {
        // The CDN sends 1 MB/s, so a 3 MB upload is still streaming into the nodes when one of them dies.
        try await BotHarness.start(cdnBytesPerSecond: 1_000_000).running { bot in
            try await bot.waitUntilReady()
            let data = bytes(3_000_000, seed: 12)
            let upload = Task {
                try await bot.say("!upload", files: [("stream.bin", data)]) {
                    $0.content.contains("stream.bin") && !$0.content.contains("Uploading")
                }
            }
            try await eventually("a node receiving the upload") { bot.nodes.contains { $0.isReceiving } }
            let dying = try #require(bot.nodes.first { $0.isReceiving }, "no node was receiving the upload")
            await dying.kill()
            let answer = try await upload.value
            #expect(answer.content.contains("✅ Stored **stream.bin**"), "\(answer.content)")
            #expect(!answer.content.contains(dying.name), "\(answer.content)")
            // Both surviving nodes hold the whole file, byte for byte; the dead one kept no partial file.
            for node in bot.nodes where node !== dying { #expect(node.contents("stream.bin") == data, "\(node.name)") }
            #expect(!dying.holds("stream.bin"))
        }
    }

    /// SIGTERM while an upload streams into the nodes: the gateway closes at once (no new commands), the upload
    /// still completes and is answered, then the process exits 0 (the graceful shutdown of its service group).
    @Test func sigtermLetsARunningUploadFinish() async throws {
        try await BotHarness.start(cdnBytesPerSecond: 1_000_000).running { bot in
            try await bot.waitUntilReady()
            let data = bytes(3_000_000, seed: 13)
            let upload = Task {
                try await bot.say("!upload", files: [("drained.bin", data)]) {
                    $0.content.contains("drained.bin") && !$0.content.contains("Uploading")
                }
            }
            try await eventually("a node receiving the upload", timeout: .seconds(20)) { bot.nodes.contains { $0.isReceiving } }
            bot.process.terminate()
            try await bot.emulator.wait("the gateway to close") { $0.openGatewayConnections == 0 ? true : nil }
            let answer = try await upload.value
            #expect(answer.content.contains("✅ Stored **drained.bin**"), "\(answer.content)")
            #expect(bot.nodes.filter { $0.contents("drained.bin") == data }.count == 2)
            #expect(try await bot.exitStatus() == 0)
        }
    }

    /// A link lasts the hours asked for, a fraction too: `/share` takes a number option (it took whole hours only,
    /// though `!link NAME 0.5` took halves), and Discord's client sends nothing else for it.
    @Test func linksLastTheHoursAskedForFractionsToo() async throws {
        try await BotHarness.start().running { bot in
            try await bot.waitUntilReady()
            _ = try await bot.say("!upload", files: [("half.txt", Data("half".utf8))]) { $0.content.contains("Stored") }
            let asked = Date()
            let slash = try await bot.slash("share", ["name": .string("half.txt"), "hours": .number(1.5)]).1
            let prefix = try await bot.say("!link half.txt 0.25")
            for (message, hours) in [(slash, 1.5), (prefix, 0.25)] {
                let url = try #require(Self.url(in: message.content), "\(message.content)")
                // The token's claims (base64url JSON before the signature) hold the expiry in seconds since 1970.
                let token = try #require(url.components(separatedBy: "/d/").last?.split(separator: ".").first)
                var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
                let json = try #require(Data(base64Encoded: base64))
                let claims = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
                let expires = try #require(claims["e"] as? Double)
                #expect(abs(expires - asked.timeIntervalSince1970 - hours * 3600) < 120, "\(hours) h: \(claims)")
            }
            await #expect(throws: EmulatorError.self, "a number option takes no text") {
                try await bot.emulator.invokeCommand(
                    "share", options: ["name": .string("half.txt"), "hours": .string("two")], user: BotHarness.ana, channel: BotHarness.channel)
            }
        }
    }

    /// A delete question outlives the process that asked it: the bot restarts (a deploy) before the buttons are
    /// pressed, and the new process answers them — deletes, keeps, and still refuses someone else's press. A name
    /// longer than a button id holds is found again too.
    @Test func deleteQuestionsAreAnsweredAfterTheBotRestarts() async throws {
        var bot = try await BotHarness.start()
        do {
            try await bot.waitUntilReady()
            let long = String(repeating: "a long name ", count: 10) + "end.txt"
            for name in ["gone.txt", "kept.txt", long] {
                _ = try await bot.say("!upload \(name)", files: [("x.txt", Data(name.utf8))]) { $0.content.contains("Stored") }
            }
            var questions: [String: Message] = [:]
            for name in ["gone.txt", "kept.txt", long] {
                questions[name] = try await bot.slash("delete", ["name": .string(name)]) { !$0.components.isEmpty }.1
            }
            bot = try await bot.restarted()

            func press(_ name: String, _ answer: Int, as user: User = BotHarness.ana) async throws -> Interaction {
                let question = try #require(questions[name])
                let id = try #require(question.components.first?.components?[answer].customID)
                #expect(id.count <= 100)
                return try await bot.emulator.pressButton(message: question.id, customID: id, user: user)
            }
            let intruder = try await press("gone.txt", 0, as: BotHarness.bruno)
            let refusal = try await bot.emulator.wait("the refusal") { $0.response(to: intruder) }
            #expect(refusal.data?.content?.contains("Only the person who asked") == true, "\(String(describing: refusal.data?.content))")
            for (name, answer, outcome) in [("gone.txt", 0, "Deleted **gone.txt**"), ("kept.txt", 1, "Kept **kept.txt**"),
                                            (long, 0, "Deleted **\(long)**")] {
                _ = try await press(name, answer)
                let question = try #require(questions[name])
                let edited = try await bot.emulator.wait("the answer about \(name)") { e in
                    e.message(question.id).flatMap { $0.content.contains(outcome) ? $0 : nil }
                }
                #expect(edited.components.isEmpty, "the buttons go with the answer")
            }
            #expect(bot.nodes.allSatisfy { !$0.holds("gone.txt") && !$0.holds(long) })
            #expect(bot.nodes.filter { $0.holds("kept.txt") }.count == 2)
        } catch {
            Issue.record("ftpbot stderr:\n\(bot.stderr.suffix(3000))")
            await bot.stop()
            throw error
        }
        await bot.stop()
    }

    /// Discord for real: a button press is acknowledged before the slow work it starts (else "This interaction
    /// failed" after 3 s, with the delete done anyway); a long stored name is offered within Discord's
    /// 100-character choices and found again from the cut choice; the name an attachment shows is said.
    @Test func buttonsLongNamesAndAttachmentNamesAsDiscordHasThem() async throws {
        try await BotHarness.start(slowNodes: true).running { bot in
            try await bot.waitUntilReady()
            _ = try await bot.say("!upload", files: [("old report.txt", Data("old".utf8))]) { $0.content.contains("Stored") }
            // Users' attachments are renamed by Discord before the bot sees them.
            #expect(bot.nodes.contains { $0.holds("old_report.txt") })
            let (ask, question) = try await bot.slash("delete", ["name": .string("old_report.txt")]) { !$0.components.isEmpty }
            _ = ask
            let yes = try #require(question.components.first?.components?.first?.customID)
            for node in bot.nodes { node.traffic.deleteDelay.withLock { $0 = .seconds(4) } }
            let press = try await bot.emulator.pressButton(message: question.id, customID: yes, user: BotHarness.ana)
            let answered = try await bot.emulator.wait("the press's acknowledgement") { $0.response(to: press) }
            #expect(answered.type == .deferredUpdateMessage)
            try await bot.emulator.wait(timeout: .seconds(60), "the deletion") { e in
                e.message(question.id)?.content.contains(#"Deleted **old\_report.txt**"#) == true ? true : nil
            }
            #expect(bot.nodes.allSatisfy { !$0.holds("old_report.txt") })
            for node in bot.nodes { node.traffic.deleteDelay.withLock { $0 = .zero } }

            let long = "quarterly report " + String(repeating: "with many words ", count: 8) + "final version.txt"
            #expect(long.count > 100)
            _ = try await bot.say("!upload \(long)", files: [("x.txt", Data("long".utf8))]) { $0.content.contains("Stored") }
            let ac = try await bot.emulator.requestAutocomplete(
                "download", option: "name", typed: "quarterly", user: BotHarness.ana, channel: BotHarness.channel)
            let choices = try await bot.emulator.wait("choices") { $0.response(to: ac)?.data?.choices }
            let choice = try #require(choices.first)
            #expect(choice.name.count == 100 && choice.value.description.count == 100)
            #expect(await bot.emulator.formErrorCount == 0)
            let (_, got) = try await bot.slash("download", ["name": choice.value]) { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: got.attachments[0].url) == Data("long".utf8))
            // The attachment's name as Discord shows it, and the bot says so.
            #expect(got.attachments[0].filename == long.replacingOccurrences(of: " ", with: "_"))
            #expect(got.content.contains("Discord shows it as `\(got.attachments[0].filename)`"), "\(got.content)")

            // A name in decomposed form (as macOS writes `é`: `e` and U+0301) is 60 characters but 120 code points,
            // which Discord counts: its choice is cut to 100 of them, inside an `é`, and still finds the file.
            let decomposed = String(repeating: "e\u{301}", count: 60)
            #expect(decomposed.count == 60 && decomposed.unicodeScalars.count == 120)
            _ = try await bot.say("!upload \(decomposed)", files: [("d.txt", Data("nfd".utf8))]) { $0.content.contains("Stored") }
            let nfd = try await bot.emulator.requestAutocomplete(
                "download", option: "name", typed: "e\u{301}e\u{301}", user: BotHarness.ana, channel: BotHarness.channel)
            let nfdChoices = try await bot.emulator.wait("choices") { $0.response(to: nfd)?.data?.choices }
            let cut = try #require(nfdChoices.first)
            #expect(cut.name.unicodeScalars.count == 100 && cut.name.unicodeScalars.last == "…", "\(cut.name)")
            #expect(await bot.emulator.formErrorCount == 0)
            let (_, nfdFile) = try await bot.slash("download", ["name": cut.value]) { !$0.attachments.isEmpty }
            #expect(await bot.emulator.attachmentData(url: nfdFile.attachments[0].url) == Data("nfd".utf8))

            // A name holding backticks is listed inside a longer fence, so its code span does not end early and swallow
            // the rest of the line (backslashes do not escape inside code).
            _ = try await bot.say("!upload it`s.txt", files: [("y.txt", Data("tick".utf8))]) { $0.content.contains("Stored") }
            _ = try await bot.say("!upload ``edge", files: [("z.txt", Data("edge".utf8))]) { $0.content.contains("Stored") }
            let listed = try await bot.say("!list")
            let listText = listed.embeds.first?.description ?? ""
            #expect(listText.contains("``it`s.txt`` — 4 B"), "\(listText)")
            // One space of padding next to the leading backticks only: Discord's renderer drops it there, and would
            // keep one at the other end.
            #expect(listText.contains("``` ``edge``` — 4 B"), "\(listText)")
        }
    }

    /// A listing's buttons turn to the next page of the same listing: the button's id carries the whole filter
    /// (Discord sends back nothing else). A filter too long for an id (100 code points) gets no buttons and says
    /// so, rather than a cut filter that would turn to a page of another listing.
    @Test func listPagesTurnWithTheirWholeFilter() async throws {
        try await BotHarness.start().running { bot in
            try await bot.waitUntilReady()
            for i in 1...12 {
                _ = try await bot.say("!upload page-\(i).txt", files: [("p.txt", Data("\(i)".utf8))]) { $0.content.contains("Stored") }
            }
            _ = try await bot.say("!upload other.bin", files: [("o.bin", Data("o".utf8))]) { $0.content.contains("Stored") }

            let first = try await bot.say("!list *.txt")
            let embed = try #require(first.embeds.first)
            #expect(embed.title == #"Files matching '\*.txt'"#, "\(embed.title ?? "")")
            #expect(embed.footer?.text.hasPrefix("Page 1/2 · 13 files") == true, "\(embed.footer?.text ?? "")")
            let buttons = try #require(first.components.first?.components)
            #expect(buttons.map(\.customID) == ["list:-1:*.txt", "list:1:*.txt"])
            #expect(buttons.first?.disabled == true)
            let press = try await bot.emulator.pressButton(message: first.id, customID: "list:1:*.txt", user: BotHarness.ana)
            #expect(try await bot.emulator.wait("the acknowledgement") { $0.response(to: press) }.type == .deferredUpdateMessage)
            let second = try await bot.emulator.wait("page 2") { e in
                e.message(first.id).flatMap { $0.embeds.first?.footer?.text.hasPrefix("Page 2/2") == true ? $0 : nil }
            }
            let rows = second.embeds.first?.description?.split(separator: "\n") ?? []
            #expect(rows.count == 2 && rows.allSatisfy { $0.contains("page-") }, "\(rows)")
            #expect(second.embeds.first?.title == #"Files matching '\*.txt'"#)

            // 108 code points: the same twelve files, but no id can carry it.
            let letters = "[" + String(repeating: "abcdefghijklmnopqrstuvwxyz", count: 1) + "]"
            let long = String(repeating: letters, count: 4) + "-*"
            #expect(long.unicodeScalars.count > 100)
            let unpaged = try await bot.say("!list \(long)")
            #expect(unpaged.components.isEmpty)
            let text = unpaged.embeds.first?.description ?? ""
            #expect(text.split(separator: "\n").filter { $0.contains("page-") }.count == 10, "\(text)")
            #expect(text.hasSuffix("This filter is too long to turn pages with; a shorter one shows the other matches."), "\(text)")
            #expect(await bot.emulator.formErrorCount == 0)
        }
    }

    /// A bot whose Message Content intent is not enabled in the developer portal (close 4014) goes on without
    /// it: slash commands work, prefix commands are not seen (and not answered), the log says what to enable.
    @Test func withoutTheMessageContentIntentSlashCommandsStillWork() async throws {
        try await BotHarness.start(messageContentIntent: false).running { bot in
            try await bot.waitUntilReady()
            #expect(await bot.emulator.sentCloseCodes.contains(4014))
            let (_, listed) = try await bot.slash("list")
            #expect(listed.embeds.first?.description?.contains("No files yet") == true)
            let before = await bot.emulator.messages(in: BotHarness.channel).filter { $0.author.id == "1000" }.count
            try await bot.emulator.postMessage(channel: BotHarness.channel, author: BotHarness.ana, content: "!list")
            try await bot.emulator.postMessage(channel: BotHarness.channel, author: BotHarness.ana, content: "<@1000> hi")
            let (_, status) = try await bot.slash("status")
            #expect(status.embeds.first?.fields?.count == 3)
            // Only the slash command was answered: the prefix command arrived without its text.
            let after = await bot.emulator.messages(in: BotHarness.channel).filter { $0.author.id == "1000" }.count
            #expect(after == before + 1)
            #expect(bot.process.isRunning)
            #expect(bot.stderr.contains("Message Content"), "\(bot.stderr)")
        }
    }

    @Test func aNodeKilledDuringADownloadLosesNothing() async throws {
        // Nodes send about 1 MB/s, so the bot is still fetching when the replica it reads from dies.
        try await BotHarness.start(extra: ["allowedChannels": ["3000"]], slowNodes: true).running { bot in
            try await bot.waitUntilReady()
            let data = bytes(3_000_000, seed: 13)
            _ = try await bot.say("!upload", files: [("slow.bin", data)]) { $0.content.contains("Stored") && !$0.content.contains("Uploading") }
            let download = Task {
                try await bot.say("!download slow.bin") { !$0.attachments.isEmpty || $0.content.contains("Sorry") }
            }
            try await eventually("a node serving the download") { bot.nodes.contains { $0.traffic.readers.withLock { $0 } > 0 } }
            let dying = try #require(bot.nodes.first { $0.traffic.readers.withLock { $0 } > 0 }, "no node was serving the download")
            // Some bytes through first, so the node dies in the middle of the download.
            let start = dying.traffic.bytesRead.withLock { $0 }
            try await eventually("the first bytes read") { dying.traffic.bytesRead.withLock { $0 } >= start + 200_000 }
            await dying.kill()
            let got = try await download.value
            #expect(got.attachments.count == 1, "\(got.content)")
            #expect(await bot.emulator.attachmentData(url: got.attachments.first?.url ?? "") == data)

            // Status as a slash command, help as a prefix command.
            let (_, status) = try await bot.slash("status")
            #expect(status.embeds.first?.title == "Nodes" && status.embeds.first?.fields?.count == 3)
            let help = try await bot.say("!help")
            #expect(help.embeds.first?.description?.contains("/download") == true)

            // Commands in a channel the configuration does not allow get a pointer to the right one.
            try await bot.emulator.postMessage(channel: "3001", author: BotHarness.ana, content: "!list")
            let pointer = try await bot.emulator.wait("the channel pointer") { e in
                e.messages(in: "3001").first { $0.author.id == "1000" }
            }
            #expect(pointer.content.contains("I only take commands in <#3000>"), "\(pointer.content)")
        }
    }

    @Test func badTokensAndBadConfigurationsAreClearErrors() async throws {
        let bot = try await BotHarness.start(token: "wrong-token")
        let status = try await bot.exitStatus()
        #expect(status == 1)
        #expect(bot.stderr.contains("Discord rejected the bot token"), "\(bot.stderr)")
        #expect(!bot.stderr.contains("wrong-token"))
        await bot.stop()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.json").path
        try #"{"nodes": [{"name": "a", "host": "h", "port": 70000, "passwordEnv": "NOPE"}, {"name": "a", "host": ""}], "strategy": "fastest", "replicas": 5, "adminRoles": ["x1"]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (code, err) = try await Self.checkConfig(path)
        #expect(code == 1)
        for expected in ["nodes[0].port: 70000 is not a TCP port", "nodes[0].passwordEnv: the environment variable NOPE is not set",
                         "nodes[1].name: 'a' is used twice", "nodes[1].host: is empty", "strategy: unknown strategy 'fastest'",
                         "replicas: must be between 1 and the number of nodes (2)", "adminRoles[0]: 'x1' is not a Discord ID"] {
            #expect(err.contains(expected), "missing '\(expected)' in:\n\(err)")
        }
        try #"{"nodes": [{"name": "a", "host": 5}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let (code2, err2) = try await Self.checkConfig(path)
        #expect(code2 == 1 && err2.contains("nodes[0].host: expected a string"), "\(err2)")
        // A syntax slip is placed by line and column.
        try "{\n  \"localNodes\": 2,\n  \"replicas\": two\n}".write(toFile: path, atomically: true, encoding: .utf8)
        let (codeSyntax, errSyntax) = try await Self.checkConfig(path)
        #expect(codeSyntax == 1 && errSyntax.contains("Error: \(path): not valid JSON: invalid value at line 3, column "), "\(errSyntax)")
        try #"{"localNodes": 2, "replicas": 2}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let (code3, _) = try await Self.checkConfig(path)
        #expect(code3 == 0)
        let (missingCode, missing) = try await Self.checkConfig(path + ".missing")
        #expect(missingCode == 1 && missing.contains("\(path).missing: cannot be read (No such file or directory)"), "\(missing)")

        // Misspelt keys are errors with their place, not silently ignored; so are unusable spaces.
        try #"{"catalgo": "x", "nodez": [], "nodes": [{"name": "a", "host": "h", "pasword": "p", "tls": {"mod": "explicit"}}], "spaces": {"12x": "team", "123": "a/b"}, "directMessages": "maybe", "onNameCollision": "overwrite", "downloadCheck": "md5", "discordStallTimeout": 0, "maintenanceSpacesPerRound": 0}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (code4, err4) = try await Self.checkConfig(path)
        #expect(code4 == 1)
        for expected in ["catalgo: unknown key", "nodez: unknown key (did you mean 'nodes'?)",
                         "nodes[0].pasword: unknown key (did you mean 'password'?)", "nodes[0].tls.mod: unknown key (did you mean 'mode'?)",
                         "spaces.12x: '12x' is not a Discord server ID", "spaces.123: 'a/b' cannot name a space",
                         "directMessages: must be private or refuse", "onNameCollision: must be keepBoth, replace or reject",
                         "downloadCheck: must be crc32c or sha256", "discordStallTimeout: must be between 1 and 86400 seconds",
                         "maintenanceSpacesPerRound: must be between 1 and 1000000"] {
            #expect(err4.contains(expected), "missing '\(expected)' in:\n\(err4)")
        }
        #expect(!err4.contains("Configuration OK"))
        try #"{"localNodes": 1, "http": {"address": "nowhere", "publicURL": "ftp://x", "linkLifetime": -1, "keyFile": "/no/such/key", "ttl": 3}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (code6, err6) = try await Self.checkConfig(path)
        #expect(code6 == 1)
        for expected in ["http.address: 'nowhere' is not HOST:PORT", "http.publicURL: 'ftp://x' is not an http(s) URL",
                         "http.linkLifetime: must be a number of hours", "http.keyFile: /no/such/key cannot be read",
                         "http.ttl: unknown key"] {
            #expect(err6.contains(expected), "missing '\(expected)' in:\n\(err6)")
        }
        // A default lifetime above the limit would lift the limit; a stray colon is not an IPv6 address.
        try #"{"localNodes": 1, "http": {"address": "127.0.0.1:80:9", "linkLifetime": 48, "maxLinkLifetime": 24}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (code7, err7) = try await Self.checkConfig(path)
        #expect(code7 == 1)
        for expected in ["http.address: '127.0.0.1:80:9' is not HOST:PORT",
                         "http.linkLifetime: 48 hours is longer than http.maxLinkLifetime (24 hours)"] {
            #expect(err7.contains(expected), "missing '\(expected)' in:\n\(err7)")
        }
        try #"{"localNodes": 1, "http": {"address": "[::1]:0", "linkLifetime": 200}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let (code8, err8) = try await Self.checkConfig(path)
        #expect(code8 == 1 && err8.contains("http.linkLifetime: 200 hours is longer than http.maxLinkLifetime (168 hours)"), "\(err8)")
        // A number its field cannot hold is named, beside a fraction where one is allowed (before: "The given data
        // was not valid JSON.", for a file that is valid JSON).
        try #"{"localNodes": 2, "http": {"linkLifetime": 2.5}, "replicas": 1.5}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let (code9, err9) = try await Self.checkConfig(path)
        #expect(code9 == 1 && err9.contains("\(path): replicas: 1.5 is not a whole number") && !err9.contains("not valid JSON"), "\(err9)")
        try #"{"localNodes": 2, "spaces": {"123": "team", "456": "team"}, "directMessages": "refuse", "onNameCollision": "replace", "downloadCheck": "sha256", "maintenanceSpacesPerRound": 16}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (code5, err5) = try await Self.checkConfig(path)
        #expect(code5 == 0, "\(err5)")
    }

    /// The first http(s) URL in a message.
    static func url(in text: String) -> String? {
        text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }.map(String.init)
    }

    static func fetch(_ url: String, _ options: String...) async throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["curl", "-sS"] + options + [url]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-\(UUID().uuidString)")
        try Data().write(to: out)
        defer { try? FileManager.default.removeItem(at: out) }
        p.standardOutput = try FileHandle(forWritingTo: out)
        _ = try await p.runToExit()
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    static func checkConfig(_ path: String) async throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BotHarness.binary)
        p.arguments = ["--config", path, "--check-config"]
        var env = ProcessInfo.processInfo.environment
        env["DISCORD_TOKEN"] = nil
        p.environment = env
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
        try Data().write(to: errPath)
        defer { try? FileManager.default.removeItem(at: errPath) }
        p.standardError = try FileHandle(forWritingTo: errPath)
        p.standardOutput = FileHandle.nullDevice
        let status = try await p.runToExit()
        return (status, (try? String(contentsOf: errPath, encoding: .utf8)) ?? "")
    }
}
