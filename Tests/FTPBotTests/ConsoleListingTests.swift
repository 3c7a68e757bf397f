import Balancer
import FileBot
import Foundation
import SeedTestSupport
import Testing

/// The console's listing, in process: every file in one answer, from one listing of each node.
@Suite(.tags(.interop), .inTestSet(.interop)) struct ConsoleListingTests {
    /// The console shows every match rather than pages. It asked the use case page by page, and each page listed
    /// every node again: a space of 100,000 files (10,000 pages) kept `!listar` busy for many minutes.
    @Test func everyFileInOneListingOfEachNode() async throws {
        try await FileBotHarness.with(settings: FileBotSettings(pageSize: 2)) { h in
            let caller = Caller(id: "op", displayName: "op", isOperator: true, space: .console)
            let names = (1...7).map { "file-\($0).txt" }
            for name in names { _ = try await h.bot.put(name, Data(name.utf8), by: caller).get() }
            let console = ConsoleFrontEnd(bot: h.bot, user: "op")
            let before = h.nodes.map(\.listings)
            let answer = await console.handle("!listar")
            #expect(names.allSatisfy { answer.contains($0 + "  ") }, "\(answer)")
            #expect(answer.hasSuffix("7 files, 140 B stored with replicas."), "\(answer)")
            #expect(zip(h.nodes.map(\.listings), before).allSatisfy { $0 - $1 == 1 }, "\(h.nodes.map(\.listings)) after \(before)")
            let filtered = await console.handle("!listar file-3")
            #expect(filtered.components(separatedBy: "\n").filter { $0.hasPrefix("file-") } .count == 1, "\(filtered)")
        }
    }

    /// A filter is a piece of a name, or a shell pattern over the whole name when it has `*`, `?` or `[` (people
    /// type `!list *.pdf` as they would `ls *.pdf`); either ignores case.
    @Test func piecesOfNamesAndShellPatternsFilter() async throws {
        try await FileBotHarness.with { h in
            let caller = Caller(id: "op", displayName: "op", isOperator: true, space: .console)
            let names = ["Report.PDF", "report-2026.pdf", "notes.txt", "scan-2025.png", "scan-2026.png", "a*b.txt", "plan [draft].odt"]
            for name in names { _ = try await h.bot.put(name, Data(name.utf8), by: caller).get() }
            func listed(_ filter: String) async throws -> [String] {
                try await h.bot.list(filter: filter, pageSize: .max, for: caller).get().rows.map(\.name).sorted()
            }
            #expect(try await listed("*.pdf") == ["Report.PDF", "report-2026.pdf"])
            #expect(try await listed("*.TXT") == ["a*b.txt", "notes.txt"])
            #expect(try await listed("scan-202?.png") == ["scan-2025.png", "scan-2026.png"])
            #expect(try await listed("[rn]*") == ["Report.PDF", "notes.txt", "report-2026.pdf"])
            #expect(try await listed("[DRAFT]") == ["plan [draft].odt"])  // a piece of a name that looks like a pattern
            #expect(try await listed("[[:upper:]]*") == ["Report.PDF"])
            #expect(try await listed("*") == names.sorted())
            #expect(try await listed("REPORT") == ["Report.PDF", "report-2026.pdf"])  // a piece of a name, any case
            #expect(try await listed("2026") == ["report-2026.pdf", "scan-2026.png"])
            #expect(try await listed("*.pdf.bak").isEmpty)
            #expect(try await listed("a\\*b*") == ["a*b.txt"])  // a backslash makes `*` itself
            let page = try await h.bot.list(filter: "*.png", for: caller).get()
            #expect(page.matchingFiles == 2 && page.totalFiles == names.count && page.filter == "*.png")

            let console = ConsoleFrontEnd(bot: h.bot, user: "op")
            let answer = await console.handle("!list *.pdf")
            #expect(answer.contains("Report.PDF  ") && answer.contains("report-2026.pdf  ") && !answer.contains("notes.txt"),
                    "\(answer)")
        }
    }

    /// A name typed in the other Unicode form (`é` precomposed, or `e` and an accent, as macOS writes names) is the
    /// same file for every command, and deleting it removes its copies: `!delete` said "Deleted" and dropped the
    /// record while both copies stayed on the nodes under the bytes they were stored with.
    @Test func aNameInEitherUnicodeFormIsOneFile() async throws {
        try await FileBotHarness.with { h in
            let caller = Caller(id: "op", displayName: "op", isOperator: true, space: .console)
            let decomposed = "cafe\u{301}.txt", precomposed = "caf\u{e9}.txt"
            func copies() -> Int {
                h.nodes.reduce(0) { count, node in
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: node.root + "/console")) ?? []
                    return count + names.filter { $0 == decomposed }.count
                }
            }
            _ = try await h.bot.put(decomposed, Data("one".utf8), by: caller).get()
            #expect(copies() == 2)
            #expect(try await h.bot.find(precomposed, for: caller).get().name.unicodeScalars.elementsEqual(decomposed.unicodeScalars))
            #expect(try await h.bot.get(precomposed, by: caller).get() == Data("one".utf8))

            let console = ConsoleFrontEnd(bot: h.bot, user: "op")
            #expect(await console.handle("!delete \(precomposed)").hasPrefix("Deleted"))
            #expect(copies() == 0, "the copies outlived the record")
            #expect(try await h.bot.list(pageSize: .max, for: caller).get().rows.isEmpty)
        }
    }
}
