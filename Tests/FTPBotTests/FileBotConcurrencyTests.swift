import Balancer
import FTPKit
import FileBot
import Foundation
import Testing
import SeedTestSupport

/// Ten uploads of one name at once, under each collision policy, and a quota that fits three of ten: the names
/// and bytes are reserved before any suspension point, so the outcome is exact, and the catalog and every node
/// agree afterwards, with no temporary file left.
@Suite(.tags(.slow), .inTestSet(.slow)) struct FileBotConcurrencyTests {
    static let space = Space.guild("42")!

    /// Ten different contents (sizes differ too, so a mixed-up replica shows).
    static let contents: [Data] = (0..<10).map { i in
        Data((0..<(200_000 + i * 1000)).map { UInt8(truncatingIfNeeded: $0 &* (i + 3) &+ i) })
    }

    /// Uploads every content as `name` at once, each by its own person.
    static func race(_ h: FileBotHarness, _ name: String, _ policy: NameCollisionPolicy) async -> [(Int, Result<StoredFile, Refusal>)] {
        await withTaskGroup(of: (Int, Result<StoredFile, Refusal>).self) { group in
            for (i, data) in Self.contents.enumerated() {
                group.addTask {
                    let caller = Caller(id: "\(700 + i)", displayName: "u\(i)", space: Self.space)
                    return (i, await h.bot.put(name, data, by: caller, collision: policy))
                }
            }
            var results: [(Int, Result<StoredFile, Refusal>)] = []
            for await r in group { results.append(r) }
            return results.sorted { $0.0 < $1.0 }
        }
    }

    /// The catalog and the nodes agree: each known file is on exactly the nodes the catalog names, byte for byte,
    /// and nowhere else; nothing temporary is left.
    static func expectConsistent(_ h: FileBotHarness, sourceFor: (ClusterFile) -> Data?) async throws {
        let known = await h.cluster.knownFiles(in: Self.space)
        for file in known {
            let expected = try #require(sourceFor(file), "no upload produced \(file.name)")
            #expect(UInt64(expected.count) == file.size)
            #expect(file.nodes.count == 2, "\(file.name) on \(file.nodes)")
            for node in h.nodes {
                let held = node.contents(file.name, in: Self.space.name)
                if file.nodes.contains(node.name) {
                    #expect(held == expected, "\(node.name) holds another version of \(file.name)")
                } else {
                    #expect(held == nil, "\(node.name) holds an orphan replica of \(file.name)")
                }
            }
        }
        let onDisk = Set(h.nodes.flatMap { node in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(node.root)/\(Self.space.name)")) ?? [])
        })
        #expect(onDisk == Set(known.map(\.name)), "files on the nodes that the catalog does not know")
        #expect(h.temporaryFiles.isEmpty, "\(h.temporaryFiles)")
    }

    @Test func rejectLetsExactlyOneWin() async throws {
        try await FileBotHarness.with { h in
            let results = await Self.race(h, "same.bin", .reject)
            let winners = results.filter { (try? $0.1.get()) != nil }
            #expect(winners.count == 1, "\(results.map { ($0.0, $0.1.failureValue?.reason) })")
            for (_, result) in results where result.failureValue != nil {
                #expect(result.failureValue?.reason == .nameTaken("same.bin"))
            }
            let winner = try #require(winners.first)
            let caller = Caller(id: "x", displayName: "x", space: Self.space)
            #expect(try await h.bot.get("same.bin", by: caller).get() == Self.contents[winner.0])
            try await Self.expectConsistent(h) { $0.name == "same.bin" ? Self.contents[winner.0] : nil }
        }
    }

    @Test func keepBothGivesTenNames() async throws {
        try await FileBotHarness.with { h in
            let results = await Self.race(h, "report.pdf", .keepBoth)
            let stored = try results.map { try $0.1.get() }
            let names = stored.map(\.row.name)
            #expect(Set(names).count == 10, "\(names)")
            #expect(Set(names) == Set(["report.pdf"] + (2...10).map { "report (\($0)).pdf" }))
            let caller = Caller(id: "x", displayName: "x", space: Self.space)
            var byName: [String: Data] = [:]
            for (i, s) in zip(results.map(\.0), stored) {
                byName[s.row.name] = Self.contents[i]
                #expect(try await h.bot.get(s.row.name, by: caller).get() == Self.contents[i], "\(s.row.name)")
            }
            try await Self.expectConsistent(h) { byName[$0.name] }
        }
    }

    @Test func replaceEndsWithExactlyOneUpload() async throws {
        try await FileBotHarness.with { h in
            _ = try await h.bot.put("live.bin", Data("the first version".utf8),
                                    by: Caller(id: "1", displayName: "", space: Self.space)).get()
            let results = await Self.race(h, "live.bin", .replace)
            #expect(results.allSatisfy { (try? $0.1.get()) != nil }, "\(results.map { $0.1.failureValue })")
            let caller = Caller(id: "x", displayName: "x", space: Self.space)
            let final = try await h.bot.get("live.bin", by: caller).get()
            let which = try #require(Self.contents.firstIndex(of: final), "the final content is none of the uploads")
            let file = try #require(await h.cluster.knownFiles(in: Self.space).first)
            #expect(file.uploader == "\(700 + which)")
            try await Self.expectConsistent(h) { $0.name == "live.bin" ? Self.contents[which] : nil }
        }
    }

    @Test func aQuotaAdmitsExactlyWhatFits() async throws {
        // Each upload is about 200 KB; the quota holds three.
        let h = try await FileBotHarness.start(settings: FileBotSettings(quota: UploadQuota(maxBytes: 650_000)))
        let results = await withTaskGroup(of: Result<StoredFile, Refusal>.self) { group in
            for i in 0..<10 {
                group.addTask {
                    await h.bot.put("f\(i).bin", Data(count: 200_000), by: Caller(id: "ana", displayName: "", space: Self.space))
                }
            }
            var all: [Result<StoredFile, Refusal>] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.filter { (try? $0.get()) != nil }.count == 3)
        for refusal in results.compactMap(\.failureValue) {
            guard case .overQuota = refusal.reason else {
                Issue.record("unexpected refusal \(refusal)")
                continue
            }
        }
        let usage = await h.cluster.usage(of: "ana", in: Self.space)
        #expect(usage == SpaceUsage(bytes: 600_000, files: 3))
        #expect(h.temporaryFiles.isEmpty)
        await h.stop()
    }

    @Test func aQuotaOfFilesAndAnUnknownSizeHoldToo() async throws {
        try await FileBotHarness.with(settings: FileBotSettings(quota: UploadQuota(maxBytes: 1000, maxFiles: 2))) { h in
            let ana = Caller(id: "ana", displayName: "", space: Self.space)
            // Size not announced: the upload holds all that is left and is cut off past it.
            let big = await h.bot.upload("unsized.bin", size: nil, by: ana) { Bytes(data: Data(count: 1500)) }
            guard case .overQuota = try #require(big.failureValue).reason else {
                Issue.record("an unsized upload overran the quota: \(big)")
                return
            }
            _ = try await h.bot.upload("ok.bin", size: nil, by: ana) { Bytes(data: Data(count: 400)) }.get()
            _ = try await h.bot.put("two.bin", Data(count: 10), by: ana).get()
            guard case .tooManyFiles(_, 2) = try #require(await h.bot.put("three.bin", Data(count: 10), by: ana).failureValue).reason else {
                Issue.record("the file count was not applied")
                return
            }
            // Replacing one's own file does not count twice.
            _ = try await h.bot.put("ok.bin", Data(count: 900), by: ana, collision: .replace).get()
            #expect(await h.cluster.usage(of: "ana", in: Self.space) == SpaceUsage(bytes: 910, files: 2))
            #expect(h.temporaryFiles.isEmpty)
        }
    }

    /// An upload that announced its size and ends short of it, or goes past it, is refused as such, stores nothing
    /// and leaves its name free (a file truncated while it was read used to be stored as the whole file; one that
    /// grew was refused as over the per-file limit).
    @Test func anUploadNotHoldingItsAnnouncedSizeStoresNothing() async throws {
        try await FileBotHarness.with { h in
            let ana = Caller(id: "ana", displayName: "", space: Self.space)
            let short = await h.bot.upload("log.txt", size: 5000, by: ana) { Bytes(data: Data(count: 3000)) }
            let refusal = try #require(short.failureValue)
            #expect(refusal.reason == .sizeMismatch(name: "log.txt", received: 3000, announced: 5000))
            #expect(refusal.sentence() == "'log.txt' ended after 2.9 KiB of the 4.9 KiB it announced, so nothing was stored; send it again.")
            #expect(await h.cluster.knownFiles(in: Self.space).isEmpty)
            #expect(h.temporaryFiles.isEmpty, "\(h.temporaryFiles)")
            for node in h.nodes { #expect(node.contents("log.txt", in: Self.space.name) == nil, "\(node.name)") }
            // Grown past its size while read (a log being written): refused as such, not as over the per-file limit.
            let grown = try #require(await h.bot.upload("log.txt", size: 3000, by: ana) { Bytes(data: Data(count: 5000)) }.failureValue)
            #expect(grown.reason == .sizeMismatch(name: "log.txt", received: 5000, announced: 3000))
            #expect(grown.sentence() == "'log.txt' went on past the 2.9 KiB it announced (did it change while it was sent?), so nothing was stored; send it again.")
            #expect(await h.cluster.knownFiles(in: Self.space).isEmpty)
            let whole = try await h.bot.upload("log.txt", size: 3000, by: ana) { Bytes(data: Data(count: 3000)) }.get()
            #expect(whole.row.name == "log.txt" && whole.row.size == 3000)
        }
    }
}
