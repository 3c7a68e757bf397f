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
}
