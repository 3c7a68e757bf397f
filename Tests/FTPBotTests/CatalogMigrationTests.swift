import Balancer
import FTPKit
import FileBot
import Foundation
import Logging
import Synchronization
import Testing
import SeedTestSupport

/// A catalog from before spaces (one flat namespace, files at the top of each node's directory) is migrated on
/// start into the configured guild's space: the catalog in one transaction, the replicas moved on each node as
/// it answers, a log line saying so.
@Suite(.tags(.interop), .inTestSet(.interop)) struct CatalogMigrationTests {
    /// The version-0 schema and rows, written by Python's sqlite3 (not by our code).
    static func writeLegacyCatalog(_ path: String, files: [(name: String, size: Int, sha: String, uploader: String, nodes: [String])],
                                   tombstones: [(String, String)]) throws {
        let rows = files.map { "(\(Self.py($0.name)), \($0.size), \(Self.py($0.sha)), \(Self.py($0.uploader)), 1700000000000, \(Self.py($0.nodes.joined(separator: "\n"))))" }
        let script = """
            import sqlite3
            db = sqlite3.connect(\(Self.py(path)))
            db.execute("CREATE TABLE files (name TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT, uploader TEXT, uploaded_at INTEGER, nodes TEXT NOT NULL)")
            db.execute("CREATE TABLE tombstones (name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (name, node))")
            for row in [\(rows.joined(separator: ", "))]:
                db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", row)
            for t in [\(tombstones.map { "(\(Self.py($0.0)), \(Self.py($0.1)))" }.joined(separator: ", "))]:
                db.execute("INSERT INTO tombstones VALUES (?, ?)", t)
            db.commit()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    static func sha256(_ data: Data) -> String {
        let digest = Digest(.sha256)
        data.withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    /// A Python string literal.
    static func py(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            .replacingOccurrences(of: "\n", with: "\\n") + "'"
    }

    @Test func aCatalogFromBeforeSpacesMovesIntoTheGuildsSpace() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Replicas where the old layout kept them: at the top of each node's directory.
        let report = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let notes = Data("old notes".utf8)
        for (node, files) in [("node0", [("report.pdf", report), ("notes.txt", notes)]), ("node1", [("report.pdf", report)]),
                              ("node2", [("notes.txt", notes), ("gone.txt", Data("deleted while node2 was down".utf8))])] {
            try FileManager.default.createDirectory(atPath: "\(dir.path)/\(node)", withIntermediateDirectories: true)
            for (name, data) in files { try data.write(to: URL(fileURLWithPath: "\(dir.path)/\(node)/\(name)")) }
        }
        let catalog = dir.path + "/catalog.sqlite"
        try Self.writeLegacyCatalog(catalog, files: [
            ("report.pdf", report.count, Self.sha256(report), "501", ["node0", "node1"]),
            ("notes.txt", notes.count, Self.sha256(notes), "502", ["node0", "node2"]),
        ], tombstones: [("gone.txt", "node2")])

        let logs = CapturedLogs()
        let guild = Space.guild("2000")!
        var h = try await FileBotHarness.start(catalogPath: catalog, legacySpace: guild, dir: dir, logger: logs.logger)
        do {
            let line = try #require(logs.messages.first { $0.message == "catalog migrated to spaces" })
            #expect(line.metadata["files"] == "2" && line.metadata["space"] == "guild-2000", "\(line)")
            let known = await h.cluster.knownFiles(in: guild)
            #expect(known.map(\.name) == ["notes.txt", "report.pdf"])
            #expect(known.first { $0.name == "report.pdf" }?.uploader == "501")
            #expect(known.allSatisfy { !$0.version.isEmpty })
            #expect(await h.cluster.knownFiles(in: .default).isEmpty)

            let ana = Caller(id: "501", displayName: "ana", space: guild)
            // Before the nodes were touched, the files are listed and readable where they lie.
            #expect(try await h.bot.list(for: ana).get().rows.map(\.name) == ["notes.txt", "report.pdf"])
            #expect(try await h.bot.get("report.pdf", by: ana).get() == report)

            // The next maintenance moves every replica into the space's directory and applies the old deletion.
            await h.cluster.refresh()
            for (node, names) in [("node0", ["notes.txt", "report.pdf"]), ("node1", ["report.pdf"]), ("node2", ["notes.txt"])] {
                let inSpace = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/\(node)/guild-2000").sorted()
                #expect(inSpace == names, "\(node)")
                let topLevel = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/\(node)").filter { $0.contains(".") }
                #expect(topLevel.isEmpty, "\(node) still holds \(topLevel) at the top level")
            }
            #expect(try await h.bot.get("report.pdf", by: ana).get() == report, "checksum still verified")
            #expect(try await h.bot.get("notes.txt", by: ana).get() == notes)
            let page = try await h.bot.list(for: ana).get()
            let replicated = page.rows.allSatisfy { $0.isFullyReplicated }
            #expect(replicated, "\(page.rows)")
            await h.stop(keepFiles: true)

            // Opened again: already at the current version, nothing migrates twice.
            let again = CapturedLogs()
            h = try await FileBotHarness.start(catalogPath: catalog, legacySpace: guild, dir: dir, logger: again.logger)
            #expect(!again.messages.contains { $0.message == "catalog migrated to spaces" })
            #expect(await h.cluster.knownFiles(in: guild).count == 2)
        } catch {
            await h.stop(keepFiles: true)
            throw error
        }
        await h.stop(keepFiles: true)
    }
}

/// Log records kept in memory, for tests that check what was logged.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var messages: [Record] { self.records.withLock { $0 } }

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = self.metadata
            for (k, v) in event.metadata ?? [:] { all[k] = v }
            let record = Record(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" })
            self.sink.records.withLock { $0.append(record) }
        }
    }
}
