import Foundation
import SeedTestSupport
import Testing

/// `ftpbot scrub`, `drain` and `rebalance` on the embedded default's cluster (its local nodes and catalog),
/// after files were stored through the console.
@Suite(.tags(.slow), .inTestSet(.slow)) struct OperatorCommandLineTests {
    let console = ConsoleModeTests()
    /// Console runs take any free port for their web links: several at once must not race for 8080's neighbours.
    let web = ["--http-address", "127.0.0.1:0"]

    @Test func scrubDrainAndRebalanceFromTheCommandLine() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let contents = ["a.txt": Data(repeating: 0x61, count: 30_000), "b.txt": Data(repeating: 0x62, count: 20_000),
                        "c.txt": Data(repeating: 0x63, count: 10_000)]
        for (name, data) in contents { try data.write(to: dir.appendingPathComponent(name)) }
        let (stored, _, storeErr) = try await self.console.run("!upload a.txt\n!upload b.txt\n!upload c.txt\n", in: dir, arguments: self.web)
        #expect(stored == 0, "\(storeErr)")

        // A replica rots on disk: same size, other bytes.
        let nodesDir = dir.path + "/data"
        let replica = try #require((0..<3).map { "\(nodesDir)/node\($0)/console/a.txt" }.first { FileManager.default.fileExists(atPath: $0) })
        try Data(repeating: 0x7A, count: 30_000).write(to: URL(fileURLWithPath: replica))
        let (scrubbed, scrubOut, scrubErr) = try await self.console.run("", in: dir, arguments: ["scrub"])
        #expect(scrubbed == 0, "\(scrubErr)")
        #expect(scrubOut.contains("console/a.txt: the replica on") && scrubOut.contains("does not match"), "\(scrubOut)")
        #expect(scrubOut.contains("Done: 3 files examined") && scrubOut.contains("1 corrupt"), "\(scrubOut)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: replica)) == contents["a.txt"])

        // Drained: node0 ends up empty; every file still has two replicas elsewhere.
        let (drained, drainOut, drainErr) = try await self.console.run("", in: dir, arguments: ["drain", "node0"])
        #expect(drained == 0, "\(drainErr)")
        #expect(drainOut.contains("Done:"), "\(drainOut)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "\(nodesDir)/node0/console")) ?? []
        #expect(left.isEmpty, "\(left)")
        for name in contents.keys {
            let holders = (1..<3).filter { FileManager.default.fileExists(atPath: "\(nodesDir)/node\($0)/console/\(name)") }
            #expect(holders.count == 2, "\(name)")
        }
        let (unknown, _, unknownErr) = try await self.console.run("", in: dir, arguments: ["drain", "node7"])
        #expect(unknown == 1)
        #expect(unknownErr.contains("there is no node named 'node7'"), "\(unknownErr)")

        // Back in service and rebalanced: replicas move onto node0 again.
        let (undone, undoOut, _) = try await self.console.run("", in: dir, arguments: ["drain", "--undo", "node0"])
        #expect(undone == 0 && undoOut.contains("node0 is in service again"), "\(undoOut)")
        let (balanced, balanceOut, balanceErr) = try await self.console.run("", in: dir, arguments: ["rebalance"])
        #expect(balanced == 0, "\(balanceErr)")
        #expect(balanceOut.contains("to node0"), "\(balanceOut)")
        let (listStatus, listed, listErr) = try await self.console.run("!list\n", in: dir, arguments: self.web)
        #expect(listStatus == 0, "\(listErr)")
        #expect(listed.contains("a.txt") && listed.contains("replicas 2/2"), "\(listed)")

        // The same from the console's own commands (its operator may run them).
        let (answered, answers, answerErr) = try await self.console.run(
            "!cluster scrub\n!cluster drain node2\n!status\n!cluster undrain node2\n!cluster fix\n", in: dir, arguments: self.web)
        #expect(answered == 0, "\(answerErr)")
        // While drained, the status says so (and how to end it); the other nodes do not.
        #expect(answers.contains("latency") && answers.contains("; draining: no new files until !cluster undrain node2"), "\(answers)")
        #expect(!answers.contains("undrain node0") && !answers.contains("undrain node1"), "\(answers)")
        #expect(answers.contains("Done: 3 files examined, 0 replicas copied"), "\(answers)")
        #expect(answers.contains("draining node2:") && answers.contains("node2 is in service again."), "\(answers)")
        #expect(answers.contains("Use: !cluster drain NODE"), "\(answers)")
    }

    /// A running bot holds its SQLite catalog: `ftpbot drain` beside it is refused and points to the bot's own
    /// `!cluster drain` (before, it drained the node behind the bot's back; the bot, working from its copy of the
    /// catalog, kept placing files there and its repair wrote its stale records over the drain's), as is a second
    /// bot on the same data directory; `--check-config` still passes. Once the bot ends, even killed, the
    /// command runs.
    @Test func aRunningBotsCatalogIsNotOpenedBehindItsBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0x61, count: 30_000).write(to: dir.appendingPathComponent("a.txt"))
        let (stored, _, storeErr) = try await self.console.run("!upload a.txt\n", in: dir, arguments: self.web)
        #expect(stored == 0, "\(storeErr)")
        let nodesDir = dir.path + "/data"
        func holders() -> [Int] { (0..<3).filter { FileManager.default.fileExists(atPath: "\(nodesDir)/node\($0)/console/a.txt") } }
        let before = holders()
        #expect(before.count == 2)

        let console = try RunningConsole.start(in: dir, arguments: self.web)
        defer { console.stop() }
        try await console.waitUntilServing()
        let bot = console.process

        let drainNode = "node\(before[0])"
        let (refused, _, refusedErr) = try await self.console.run("", in: dir, arguments: ["drain", drainNode])
        #expect(refused == 1)
        #expect(refusedErr.contains("Error: the catalog \(nodesDir)/catalog.sqlite is in use by another process "
            + "(pid \(bot.processIdentifier)); an SQLite catalog serves one process at a time. Run `!cluster drain \(drainNode)` "
            + "in that bot's console or chat instead"), "\(refusedErr)")
        #expect(holders() == before, "nothing was moved")

        let (second, _, secondErr) = try await self.console.run("!list\n", in: dir, arguments: self.web)
        #expect(second == 1)
        #expect(secondErr.contains("is in use by another process (pid \(bot.processIdentifier))")
            && secondErr.contains("Is a bot already running on \(nodesDir)?"), "\(secondErr)")

        let config = dir.appendingPathComponent("bot.json")
        try Data(#"{"catalog": "sqlite:\#(nodesDir)/catalog.sqlite"}"#.utf8).write(to: config)
        let (checked, checkOut, checkErr) = try await self.console.run("", in: dir, arguments: ["--config", config.path, "--check-config"])
        #expect(checked == 0, "\(checkErr)")
        #expect(checkOut.contains("catalog sqlite:\(nodesDir)/catalog.sqlite (in use by a running process, not read)"), "\(checkOut)")

        // Killed outright: the kernel drops its lock with it.
        kill(bot.processIdentifier, SIGKILL)
        _ = await console.exitStatus()
        let (drained, drainOut, drainErr) = try await self.console.run("", in: dir, arguments: ["drain", drainNode])
        #expect(drained == 0, "\(drainErr)")
        #expect(drainOut.contains("Done:"), "\(drainOut)")
        #expect(!holders().contains(before[0]) && holders().count == 2)
    }
}
