import Balancer
import FTPKit
import FileBot
import Foundation
import Testing
import SeedTestSupport

/// Every command sees only the caller's space: two Discord servers, a person's direct messages, the console, and
/// two servers joined into one space on purpose.
@Suite(.tags(.slow), .inTestSet(.slow)) struct FileBotSpacesTests {
    static let settings = FileBotSettings(spaces: SpaceMap(joined: ["300": Space("team")!, "301": Space("team")!]))

    static func caller(guild: String?, user: String = "501", roles: Set<String> = []) throws -> Caller {
        let space = try Self.settings.spaces.space(guildID: guild, userID: user).get()
        return Caller(id: user, displayName: "user \(user)", roles: roles, space: space)
    }

    @Test func spacesIsolateEveryCommand() async throws {
        try await FileBotHarness.with(settings: Self.settings) { h in
            let a = try Self.caller(guild: "100"), b = try Self.caller(guild: "200")
            let dm = try Self.caller(guild: nil), console = Caller(id: "op", displayName: "op", isOperator: true, space: .console)
            #expect(a.space.name == "guild-100" && b.space.name == "guild-200" && dm.space.name == "dm-501")

            let secret = Data("server A's plans".utf8)
            _ = try await h.bot.put("plans.txt", secret, by: a).get()
            // B, the DM and the console see nothing of A's: listing, finding, downloading, deleting, completion.
            for other in [b, dm, console] {
                let page = try await h.bot.list(for: other).get()
                #expect(page.rows.isEmpty && page.totalFiles == 0 && page.totalBytes == 0, "\(other.space)")
                #expect(try await h.bot.list(filter: "plans", for: other).get().rows.isEmpty)
                guard case .failure(let refusal) = await h.bot.find("plans.txt", for: other),
                    case .notFound(_, let suggestions, _) = refusal.reason
                else { Issue.record("\(other.space) found A's file"); continue }
                #expect(suggestions.isEmpty)
                #expect(try #require(await h.bot.get("plans.txt", by: other).failureValue).reason
                    == .notFound(name: "plans.txt", suggestions: [], unreachableNodes: []))
                #expect(await h.bot.delete("plans.txt", by: other).failureValue != nil)
                #expect(await h.bot.names(matching: "pl", for: other).isEmpty)
                #expect(await h.bot.usage(of: Caller(id: "501", displayName: "", space: other.space)).bytes == 0)
            }
            #expect(try await h.bot.get("plans.txt", by: a).get() == secret, "A's file is intact")
            #expect(await h.bot.usage(of: a).bytes == UInt64(secret.count))

            // The same name in another space is another file.
            let other = Data("server B's own plans, longer".utf8)
            let stored = try await h.bot.put("plans.txt", other, by: b).get()
            #expect(stored.row.name == "plans.txt" && stored.collidedWith == nil)
            #expect(try await h.bot.get("plans.txt", by: a).get() == secret)
            #expect(try await h.bot.get("plans.txt", by: b).get() == other)
            _ = try await h.bot.delete("plans.txt", by: b).get()
            #expect(try await h.bot.get("plans.txt", by: a).get() == secret, "B's delete left A's file")

            // On the nodes a space is a directory named after it.
            let holders = h.nodes.filter { $0.holds("plans.txt", in: "guild-100") }
            #expect(holders.count == 2)
            #expect(h.nodes.allSatisfy { !$0.holds("plans.txt", in: "guild-200") })

            // Joined servers share one space.
            let t1 = try Self.caller(guild: "300", user: "601"), t2 = try Self.caller(guild: "301", user: "602")
            _ = try await h.bot.put("shared.pdf", Data("team".utf8), by: t1).get()
            #expect(try await h.bot.list(for: t2).get().rows.map(\.name) == ["shared.pdf"])
            #expect(await h.bot.names(matching: "sha", for: t2) == ["shared.pdf"])
            #expect(h.nodes.filter { $0.holds("shared.pdf", in: "team") }.count == 2)
            // … but only the uploader (or an admin) deletes.
            guard case .notAllowed = try #require(await h.bot.delete("shared.pdf", by: t2).failureValue).reason else {
                Issue.record("a team member deleted someone else's file")
                return
            }

            // The console and a DM have their own spaces too.
            _ = try await h.bot.put("note.txt", Data("dm".utf8), by: dm).get()
            _ = try await h.bot.put("note.txt", Data("console".utf8), by: console).get()
            #expect(try await h.bot.get("note.txt", by: dm).get() == Data("dm".utf8))
            #expect(try await h.bot.get("note.txt", by: console).get() == Data("console".utf8))
            #expect(h.nodes.contains { $0.holds("note.txt", in: "dm-501") } && h.nodes.contains { $0.holds("note.txt", in: "console") })
        }
    }

    @Test func directMessagesCanBeRefused() throws {
        let map = SpaceMap(directMessages: .refuse)
        #expect(map.space(guildID: nil, userID: "501").failureValue?.reason == .directMessagesRefused)
        #expect(try map.space(guildID: "100", userID: "501").get().name == "guild-100")
        #expect(Space("a/b") == nil && Space("..") == nil && Space("") == nil && Space(String(repeating: "x", count: 65)) == nil)
        #expect(Space("team-1.files_2") != nil)
    }

    @Test func quotasAndTotalsCountOnlyTheSpace() async throws {
        try await FileBotHarness.with(settings: FileBotSettings(quota: UploadQuota(maxBytes: 100))) { h in
            let a = Caller(id: "501", displayName: "ana", space: Space.guild("1")!)
            let b = Caller(id: "501", displayName: "ana", space: Space.guild("2")!)
            _ = try await h.bot.put("a.bin", Data(count: 80), by: a).get()
            // The same person has a full quota in another server.
            _ = try await h.bot.put("b.bin", Data(count: 80), by: b).get()
            guard case .overQuota(_, let size, let used, let quota) = try #require(await h.bot.put("c.bin", Data(count: 30), by: a).failureValue).reason else {
                Issue.record("the quota was not applied")
                return
            }
            #expect(size == 30 && used == 80 && quota == 100)
            let page = try await h.bot.list(for: a).get()
            #expect(page.totalFiles == 1 && page.totalBytes == 80 && page.storedBytes == 160)
        }
    }

    /// An upload of unannounced size that runs past its owner's quota is refused, and logged as what it is: the
    /// upload's own doing, at info (before, a warning, as if the cluster had failed). Operators' warnings are left
    /// for nodes and the catalog.
    @Test func uploadsRefusedForTheirOwnSizeAreNoWarning() async throws {
        let logs = CapturedLogs()
        let h = try await FileBotHarness.start(settings: FileBotSettings(quota: UploadQuota(maxBytes: 100)), logger: logs.logger)
        let a = Caller(id: "501", displayName: "ana", space: Space.guild("1")!)
        let refused = await h.bot.upload("big.bin", size: nil, by: a) { Bytes(data: Data(count: 300)) }
        await h.stop()
        guard case .overQuota? = refused.failureValue?.reason else {
            Issue.record("not refused for the quota: \(refused)")
            return
        }
        let failures = logs.messages.filter { $0.message == "upload failed" }
        #expect(!failures.isEmpty && failures.allSatisfy { $0.level == .info }, "\(failures)")
        #expect(!logs.messages.contains { $0.level >= .warning }, "\(logs.messages.filter { $0.level >= .warning })")
    }

    @Test func statusNamesTheProblemInPlainWords() async throws {
        try await FileBotHarness.with { h in
            await h.nodes[1].kill()
            let status = await h.bot.status()
            let down = try #require(status.first { $0.name == "node1" })
            // The node's state now, not its old connection's: a pooled connection the node closed as it died is
            // retried on a new one (the probe is idempotent), which is refused.
            #expect(!down.isUp && down.problem == "connection refused", "\(down)")
            #expect(status.filter(\.isUp).count == 2)
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
