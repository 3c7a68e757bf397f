import Balancer
import Foundation
import Logging
import SeedTestSupport
import Synchronization
import Testing

/// The stores a catalog can live in: every behaviour below holds for each.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { self.rawValue }

    /// SQLite always; PostgreSQL where it is installed, and always under `CI=true` (where a missing server fails).
    static var available: [StoreKind] { PostgresTestServer.isAvailable ? [.sqlite, .postgres] : [.sqlite] }
}

/// Fresh, empty catalogs of one kind: SQLite files in a temporary directory, or databases on one throwaway
/// PostgreSQL server (started once per kind, stopped at the end).
final class CatalogFixture: Sendable {
    let kind: StoreKind
    let directory: String
    let server: PostgresTestServer?
    private let counter = Counter()

    private init(kind: StoreKind, directory: String, server: PostgresTestServer?) {
        self.kind = kind
        self.directory = directory
        self.server = server
    }

    static func with(_ kind: StoreKind, _ body: (CatalogFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalogs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = kind == .postgres ? try await PostgresTestServer.start() : nil
        let fixture = CatalogFixture(kind: kind, directory: directory, server: server)
        do {
            try await body(fixture)
        } catch {
            await server?.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        await server?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new empty catalog's location (and the database or file name, for SQL from outside).
    func newLocation() async throws -> (location: CatalogLocation, name: String) {
        let name = "c\(self.counter.next())"
        switch self.kind {
        case .sqlite:
            return (try CatalogLocation(parsing: "sqlite:\(self.directory)/\(name).sqlite"), "\(self.directory)/\(name).sqlite")
        case .postgres:
            let server = try #require(self.server)
            try await server.createDatabase(name)
            return (try CatalogLocation(parsing: server.url(database: name), password: server.password), name)
        }
    }

    /// Runs SQL on a catalog from outside our code (Python's sqlite3, or psql), as an operator or a fault would.
    func sql(_ statement: String, on name: String) async throws {
        switch self.kind {
        case .sqlite:
            let out = try await Command.run([
                "python3", "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit()",
                name, statement,
            ])
            guard out.status == 0 else { throw PostgresTestServer.Failure(description: out.stderr) }
        case .postgres:
            _ = try await #require(self.server).psql(statement, database: name)
        }
    }

    /// The table names of this kind of store.
    func table(_ base: String) -> String { self.kind == .postgres ? "seed_" + base : base }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { self.value.withLock { $0 += 1; return $0 } }
}

@Suite(.tags(.interop), .inTestSet(.interop)) struct CatalogStoreTests {
    static let logger: Logger = {
        var logger = Logger(label: "catalog-test")
        logger.logLevel = .critical
        return logger
    }()

    static func file(_ space: Space, _ name: String, size: UInt64 = 100, nodes: [String] = ["node0", "node1"]) -> ClusterFile {
        // A CRC above Int32.max: the stores keep all 32 bits unsigned.
        ClusterFile(space: space, name: name, size: size, sha256: String(repeating: "ab", count: 32), crc32c: 0xE306_9283,
                    uploader: "user-1",
                    uploadedAt: Date(timeIntervalSince1970: 1_700_000_000.123), nodes: nodes, version: "v1")
    }

    @Test(arguments: StoreKind.available)
    func theStoreKeepsEverythingItIsGiven(kind: StoreKind) async throws {
        try await CatalogFixture.with(kind) { fixture in
            try await Self.roundTrip(fixture)
            try await Self.replaceRemoveAndPendingWork(fixture)
            try await Self.aFailedBatchChangesNothing(fixture)
            try await Self.aNewerSchemaIsRefused(fixture)
            try await Self.aRowWithANegativeSizeIsSkipped(fixture)
        }
    }

    /// Every field, odd names included, comes back as written, also after the store is closed and opened again.
    static func roundTrip(_ fixture: CatalogFixture) async throws {
        let (location, _) = try await fixture.newLocation()
        let store = try await location.open(logger: Self.logger)
        #expect(try await store.load().isEmpty)
        let space = try #require(Space("guild-42"))
        var bare = ClusterFile(space: space, name: "bare.bin", size: 0, nodes: [])
        bare.version = "v0"
        let files = [
            Self.file(space, "report.pdf"),
            Self.file(space, "Robert'); DROP TABLE files;--.txt"),
            Self.file(space, "été 🎉 \"quoted\" %s.txt", size: 9_000_000_000, nodes: ["node2", "node0", "node1"]),
            Self.file(.default, "report.pdf", size: 1),
            bare,
        ]
        try await store.apply(files.map { .save($0) })
        let loaded = try await store.load()
        #expect(loaded.files.count == files.count)
        for file in files { #expect(loaded.files[file.key] == file, "\(file.name)") }
        let checksum = loaded.checksum
        await store.close()
        let reopened = try await location.open(logger: Self.logger)
        #expect(try await reopened.load().checksum == checksum)
        await reopened.close()
    }

    static func replaceRemoveAndPendingWork(_ fixture: CatalogFixture) async throws {
        let (location, _) = try await fixture.newLocation()
        let store = try await location.open(logger: Self.logger)
        let a = Self.file(.default, "a.txt"), b = Self.file(.default, "b.txt")
        try await store.apply([.save(a), .save(b), .setTombstones(a.key, ["node2"]), .setMoves(b.key, ["node0", "node1"])])
        var newer = a
        newer.size = 5
        newer.nodes = ["node3"]
        newer.version = "v2"
        try await store.apply([.save(newer), .remove(b.key), .setMoves(b.key, ["node1"])])
        var snapshot = try await store.load()
        #expect(snapshot.files == [a.key: newer])
        #expect(snapshot.tombstones == [a.key: ["node2"]])
        #expect(snapshot.moves == [b.key: ["node1"]])
        #expect(snapshot.counts == .init(files: 1, tombstones: 1, moves: 1))
        try await store.apply([.setTombstones(a.key, []), .setMoves(b.key, [])])
        snapshot = try await store.load()
        #expect(snapshot.tombstones.isEmpty && snapshot.moves.isEmpty && snapshot.files.count == 1)
        await store.close()
    }

    /// A batch is one transaction: when its last change fails (its table is gone), the first is not kept either.
    static func aFailedBatchChangesNothing(_ fixture: CatalogFixture) async throws {
        let (location, name) = try await fixture.newLocation()
        let store = try await location.open(logger: Self.logger)
        let kept = Self.file(.default, "kept.txt")
        try await store.apply([.save(kept)])
        try await fixture.sql("DROP TABLE \(fixture.table("moves"))", on: name)
        let error = await #expect(throws: ClusterError.self) {
            try await store.apply([.remove(kept.key), .save(Self.file(.default, "new.txt")), .setMoves(kept.key, ["node0"])])
        }
        #expect(error?.code == .catalogUnavailable)
        let files = try await fixture.kind == .postgres
            ? fixture.server!.psql("SELECT name FROM seed_files ORDER BY name", database: name)
            : Self.sqliteNames(name)
        #expect(files == "kept.txt")
        await store.close()
    }

    static func sqliteNames(_ path: String) async throws -> String {
        let out = try await Command.run([
            "python3", "-c", "import sqlite3, sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT name FROM files ORDER BY name')))",
            path,
        ])
        return out.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A catalog written by a newer program is refused, not misread.
    /// A size no file has, written by another program or a hand edit, is skipped on load: it must not trap the
    /// bot converting it to an unsigned size (SQLite did). PostgreSQL's table refuses such a row (`CHECK`).
    static func aRowWithANegativeSizeIsSkipped(_ fixture: CatalogFixture) async throws {
        guard fixture.kind == .sqlite else { return }
        let (location, name) = try await fixture.newLocation()
        let store = try await location.open(logger: Self.logger)
        let space = try #require(Space("guild-7"))
        try await store.apply([.save(Self.file(space, "bad.bin")), .save(Self.file(space, "good.bin"))])
        await store.close()
        try await fixture.sql("UPDATE files SET size = -1 WHERE name = 'bad.bin'", on: name)
        let reopened = try await location.open(logger: Self.logger)
        let loaded = try await reopened.load()
        #expect(loaded.files.keys.map(\.name) == ["good.bin"])
        await reopened.close()
    }

    static func aNewerSchemaIsRefused(_ fixture: CatalogFixture) async throws {
        let (location, name) = try await fixture.newLocation()
        await (try await location.open(logger: Self.logger)).close()
        try await fixture.sql(
            fixture.kind == .postgres ? "UPDATE seed_catalog_schema SET version = 99" : "PRAGMA user_version = 99", on: name)
        let error = await #expect(throws: ClusterError.self) { _ = try await location.open(logger: Self.logger) }
        #expect(error?.code == .catalogUnavailable)
        #expect(error?.message.contains("schema version 99") == true)
    }
}
