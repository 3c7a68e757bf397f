import Foundation
import Synchronization

/// The catalog in one SQLite file: the embedded default, for one bot process. (Several processes share a
/// ``PostgresCatalogStore``.) A second process opening the same file is refused with
/// ``ClusterError/Code/catalogInUse`` until the first closes it or ends (``CatalogFileLock``).
///
/// The schema is versioned (`PRAGMA user_version`) and migrated on open. Version 1 introduced spaces: a catalog
/// from before them is moved, in one transaction, into the space the caller names; the replicas of its files
/// still lie at the top of each node's directory, so each gets a pending move (``CatalogState/moves``) that the
/// cluster carries out as nodes answer.
public final class SQLiteCatalogStore: CatalogStore {
    static let schemaVersion: Int64 = 3

    /// The connection, used by one caller at a time. SQLite's calls are short and local; they run on the caller's
    /// thread.
    private let db: Mutex<SQLiteDatabase>
    private let lock: CatalogFileLock
    public let location: String
    /// Files moved into a space by the migration this open ran (0 when there was nothing to migrate).
    public let migratedFiles: Int

    /// Opens (creating if needed) the catalog at `path`; a catalog from before spaces goes into `legacySpace`.
    public init(path: String, legacySpace: Space = .default) throws(ClusterError) {
        // Locked before the database is opened, so a second process neither migrates nor reads it.
        let lock = try CatalogFileLock(catalogPath: path)
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=NORMAL")
        let version = try db.execute("PRAGMA user_version").first?.first?.int ?? 0
        guard version <= Self.schemaVersion else {
            throw ClusterError(.catalogUnavailable,
                "the catalog \(path) has schema version \(version), newer than this program's \(Self.schemaVersion)")
        }
        self.migratedFiles = version < 1 ? try Self.migrateToSpaces(db, legacySpace) : 0
        if version < 2 {
            // Version 2: nodes being drained.
            try db.transaction { () throws(ClusterError) in
                try db.execute("CREATE TABLE IF NOT EXISTS draining (node TEXT PRIMARY KEY)")
                try db.execute("PRAGMA user_version = 2")
            }
        }
        if version < 3 {
            // Version 3: each file's CRC-32C, which downloads check (files from before have none: SHA-256 is checked).
            try db.transaction { () throws(ClusterError) in
                try db.execute("ALTER TABLE files ADD COLUMN crc32c INTEGER")
                try db.execute("PRAGMA user_version = 3")
            }
        }
        self.db = Mutex(db)
        self.lock = lock
        self.location = "sqlite:" + path
    }

    private static func createTables(_ db: SQLiteDatabase) throws(ClusterError) {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS files (
                space TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT, uploader TEXT,
                uploaded_at INTEGER, nodes TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (space, name))
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS tombstones (
                space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS moves (
                space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))
            """)
    }

    /// Version 0 (one flat namespace) → 1 (spaces). A new, empty database just gets the tables.
    private static func migrateToSpaces(_ db: SQLiteDatabase, _ space: Space) throws(ClusterError) -> Int {
        let hadFiles = try !db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='files'").isEmpty
        var migrated = 0
        try db.transaction { () throws(ClusterError) in
            guard hadFiles else {
                try Self.createTables(db)
                try db.execute("PRAGMA user_version = 1")
                return
            }
            try db.execute("ALTER TABLE files RENAME TO files_v0")
            try db.execute("ALTER TABLE tombstones RENAME TO tombstones_v0")
            try Self.createTables(db)
            let rows = try db.execute("SELECT name, size, sha256, uploader, uploaded_at, nodes FROM files_v0")
            for row in rows {
                guard let name = row[0].string else { continue }
                try db.execute(
                    "INSERT INTO files (space, name, size, sha256, uploader, uploaded_at, nodes, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(space.name), .text(name), row[1], row[2], row[3], row[4], row[5], .text(FileVersion.make())])
                for node in (row[5].string ?? "").split(separator: "\n") {
                    try db.execute("INSERT OR IGNORE INTO moves (space, name, node) VALUES (?, ?, ?)",
                                        [.text(space.name), .text(name), .text(String(node))])
                }
            }
            // Deletions still pending from before spaces target the old place, the top level.
            try db.execute("INSERT INTO tombstones (space, name, node) SELECT '', name, node FROM tombstones_v0")
            try db.execute("DROP TABLE files_v0")
            try db.execute("DROP TABLE tombstones_v0")
            try db.execute("PRAGMA user_version = 1")
            migrated = rows.count
        }
        return migrated
    }

    public func load() throws(ClusterError) -> CatalogSnapshot {
        try self.db.withLock { db throws(ClusterError) in
            var snapshot = CatalogSnapshot()
            for row in try db.execute("SELECT space, name, size, sha256, uploader, uploaded_at, nodes, version, crc32c FROM files") {
                guard let spaceName = row[0].string, let space = Space(spaceName), let name = row[1].string,
                    let size = row[2].int, size >= 0  // a row another program wrote wrong is skipped, not trapped on
                else { continue }
                snapshot.files[FileKey(space, name)] = ClusterFile(
                    space: space, name: name, size: UInt64(size), sha256: row[3].string,
                    crc32c: row[8].int.flatMap { UInt32(exactly: $0) }, uploader: row[4].string,
                    uploadedAt: row[5].int.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                    nodes: (row[6].string ?? "").split(separator: "\n").map(String.init),
                    version: row[7].string ?? "")
            }
            for row in try db.execute("SELECT space, name, node FROM tombstones") {
                if let key = Self.key(row), let node = row[2].string { snapshot.tombstones[key, default: []].insert(node) }
            }
            for row in try db.execute("SELECT space, name, node FROM moves") {
                if let key = Self.key(row), let node = row[2].string { snapshot.moves[key, default: []].insert(node) }
            }
            for row in try db.execute("SELECT node FROM draining") { if let node = row[0].string { snapshot.draining.insert(node) } }
            return snapshot
        }
    }

    private static func key(_ row: [SQLiteDatabase.Value]) -> FileKey? {
        guard let spaceName = row[0].string, let name = row[1].string else { return nil }
        return Space.stored(spaceName).map { FileKey($0, name) }
    }

    public func apply(_ changes: [CatalogChange]) throws(ClusterError) {
        guard !changes.isEmpty else { return }
        try self.db.withLock { db throws(ClusterError) in
            try db.transaction { () throws(ClusterError) in
                for change in changes { try Self.apply(change, to: db) }
            }
        }
    }

    private static func apply(_ change: CatalogChange, to db: SQLiteDatabase) throws(ClusterError) {
        switch change {
        case .save(let file):
            try db.execute(
                "INSERT OR REPLACE INTO files (space, name, size, sha256, uploader, uploaded_at, nodes, version, crc32c) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(file.space.name), .text(file.name), .integer(Int64(file.size)), file.sha256.map { .text($0) } ?? .null,
                 file.uploader.map { .text($0) } ?? .null,
                 file.uploadedAt.flatMap { Int64(exactly: ($0.timeIntervalSince1970 * 1000).rounded()) }.map { .integer($0) } ?? .null,
                 .text(file.nodes.joined(separator: "\n")), .text(file.version),
                 file.crc32c.map { .integer(Int64($0)) } ?? .null])
        case .remove(let key):
            try db.execute("DELETE FROM files WHERE space = ? AND name = ?", [.text(key.space.name), .text(key.name)])
        case .setTombstones(let key, let nodes):
            try Self.setRows("tombstones", key, nodes, db)
        case .setMoves(let key, let nodes):
            try Self.setRows("moves", key, nodes, db)
        case .setDraining(let node, let draining):
            try db.execute(draining ? "INSERT OR IGNORE INTO draining (node) VALUES (?)" : "DELETE FROM draining WHERE node = ?", [.text(node)])
        }
    }

    private static func setRows(_ table: String, _ key: FileKey, _ nodes: Set<String>, _ db: SQLiteDatabase) throws(ClusterError) {
        try db.execute("DELETE FROM \(table) WHERE space = ? AND name = ?", [.text(key.space.name), .text(key.name)])
        for node in nodes.sorted() {
            try db.execute("INSERT INTO \(table) (space, name, node) VALUES (?, ?, ?)",
                           [.text(key.space.name), .text(key.name), .text(node)])
        }
    }

    /// One process owns an SQLite catalog: nobody else changes it.
    public func changes(since sequence: Int64) -> CatalogDelta? { CatalogDelta(sequence: sequence) }

    public func claimLeadership() -> Bool { true }

    /// One process: its own ``UploadBook`` already decides between its uploads.
    public var isShared: Bool { false }
    public func hold(_ key: FileKey, exclusive: Bool) -> Bool { true }
    public func release(_ key: FileKey, exclusive: Bool) {}

    /// Closes the database, then lets another process open it.
    public func close() {
        self.db.withLock { $0.close() }
        self.lock.release()
    }
}
