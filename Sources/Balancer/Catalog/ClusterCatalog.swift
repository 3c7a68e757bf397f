import Foundation

/// The durable record of the cluster's files, pending deletions and pending layout moves, in an SQLite database,
/// so a restarted bot knows every file (space, checksum, uploader, replicas) and still removes copies from nodes
/// that were down.
///
/// The schema is versioned (`PRAGMA user_version`) and migrated on open. Version 1 introduced spaces: a catalog
/// from before them is moved, in one transaction, into the space the caller names; the replicas of its files
/// still lie at the top of each node's directory, so each gets a pending move (``CatalogState/moves``) that the
/// cluster carries out as nodes answer.
public final class ClusterCatalog {
    static let schemaVersion: Int64 = 1

    private let db: SQLiteDatabase
    /// Files moved into a space by the migration this open ran (0 when there was nothing to migrate).
    public private(set) var migratedFiles = 0

    /// Opens (creating if needed) the catalog at `path`; a catalog from before spaces goes into `legacySpace`.
    public init(path: String, legacySpace: Space = .default) throws(ClusterError) {
        self.db = try SQLiteDatabase(path: path)
        try self.db.execute("PRAGMA journal_mode=WAL")
        try self.db.execute("PRAGMA synchronous=NORMAL")
        let version = try self.db.execute("PRAGMA user_version").first?.first?.int ?? 0
        guard version <= Self.schemaVersion else {
            throw ClusterError(.catalogUnavailable,
                "the catalog \(path) has schema version \(version), newer than this program's \(Self.schemaVersion)")
        }
        if version < 1 { try self.migrateToSpaces(legacySpace) }
    }

    private func createTables() throws(ClusterError) {
        try self.db.execute("""
            CREATE TABLE IF NOT EXISTS files (
                space TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT, uploader TEXT,
                uploaded_at INTEGER, nodes TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (space, name))
            """)
        try self.db.execute("""
            CREATE TABLE IF NOT EXISTS tombstones (
                space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))
            """)
        try self.db.execute("""
            CREATE TABLE IF NOT EXISTS moves (
                space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))
            """)
    }

    /// Version 0 (one flat namespace) → 1 (spaces). A new, empty database just gets the tables.
    private func migrateToSpaces(_ space: Space) throws(ClusterError) {
        let hadFiles = try !self.db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='files'").isEmpty
        try self.db.transaction { () throws(ClusterError) in
            guard hadFiles else {
                try self.createTables()
                try self.db.execute("PRAGMA user_version = \(Self.schemaVersion)")
                return
            }
            try self.db.execute("ALTER TABLE files RENAME TO files_v0")
            try self.db.execute("ALTER TABLE tombstones RENAME TO tombstones_v0")
            try self.createTables()
            let rows = try self.db.execute("SELECT name, size, sha256, uploader, uploaded_at, nodes FROM files_v0")
            for row in rows {
                guard let name = row[0].string else { continue }
                try self.db.execute(
                    "INSERT INTO files (space, name, size, sha256, uploader, uploaded_at, nodes, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(space.name), .text(name), row[1], row[2], row[3], row[4], row[5], .text(Self.newVersion())])
                for node in (row[5].string ?? "").split(separator: "\n") {
                    try self.db.execute("INSERT OR IGNORE INTO moves (space, name, node) VALUES (?, ?, ?)",
                                        [.text(space.name), .text(name), .text(String(node))])
                }
            }
            // Deletions still pending from before spaces target the old place, the top level.
            try self.db.execute("INSERT INTO tombstones (space, name, node) SELECT '', name, node FROM tombstones_v0")
            try self.db.execute("DROP TABLE files_v0")
            try self.db.execute("DROP TABLE tombstones_v0")
            try self.db.execute("PRAGMA user_version = \(Self.schemaVersion)")
            self.migratedFiles = rows.count
        }
    }

    /// A new file version: a random 64-bit value in hex. Links and caches name a version, not only a name.
    static func newVersion() -> String {
        String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    func load() throws(ClusterError) -> CatalogState {
        var state = CatalogState()
        for row in try self.db.execute("SELECT space, name, size, sha256, uploader, uploaded_at, nodes, version FROM files") {
            guard let spaceName = row[0].string, let space = Space(spaceName), let name = row[1].string,
                let size = row[2].int
            else { continue }
            state.files[FileKey(space, name)] = ClusterFile(
                space: space, name: name, size: UInt64(size), sha256: row[3].string, uploader: row[4].string,
                uploadedAt: row[5].int.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                nodes: (row[6].string ?? "").split(separator: "\n").map(String.init),
                version: row[7].string ?? "")
        }
        for row in try self.db.execute("SELECT space, name, node FROM tombstones") {
            if let key = Self.key(row), let node = row[2].string { state.tombstones[key, default: []].insert(node) }
        }
        for row in try self.db.execute("SELECT space, name, node FROM moves") {
            if let key = Self.key(row), let node = row[2].string { state.moves[key, default: []].insert(node) }
        }
        return state
    }

    private static func key(_ row: [SQLiteDatabase.Value]) -> FileKey? {
        guard let spaceName = row[0].string, let name = row[1].string else { return nil }
        let space = spaceName.isEmpty ? Space.topLevel : Space(spaceName)
        return space.map { FileKey($0, name) }
    }

    func save(_ file: ClusterFile) throws(ClusterError) {
        try self.db.execute(
            "INSERT OR REPLACE INTO files (space, name, size, sha256, uploader, uploaded_at, nodes, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(file.space.name), .text(file.name), .integer(Int64(file.size)), file.sha256.map { .text($0) } ?? .null,
             file.uploader.map { .text($0) } ?? .null,
             file.uploadedAt.map { .integer(Int64($0.timeIntervalSince1970 * 1000)) } ?? .null,
             .text(file.nodes.joined(separator: "\n")), .text(file.version)])
    }

    func remove(_ key: FileKey) throws(ClusterError) {
        try self.db.execute("DELETE FROM files WHERE space = ? AND name = ?", [.text(key.space.name), .text(key.name)])
    }

    func setTombstones(_ key: FileKey, nodes: Set<String>) throws(ClusterError) {
        try self.setRows("tombstones", key, nodes)
    }

    func setMoves(_ key: FileKey, nodes: Set<String>) throws(ClusterError) {
        try self.setRows("moves", key, nodes)
    }

    private func setRows(_ table: String, _ key: FileKey, _ nodes: Set<String>) throws(ClusterError) {
        try self.db.transaction { () throws(ClusterError) in
            try self.db.execute("DELETE FROM \(table) WHERE space = ? AND name = ?", [.text(key.space.name), .text(key.name)])
            for node in nodes.sorted() {
                try self.db.execute("INSERT INTO \(table) (space, name, node) VALUES (?, ?, ?)",
                                    [.text(key.space.name), .text(key.name), .text(node)])
            }
        }
    }
}

/// Everything the catalog holds, as the cluster keeps it in memory.
struct CatalogState: Sendable {
    var files: [FileKey: ClusterFile] = [:]
    /// Deletions not yet applied to a node that was down: file → nodes still holding a copy.
    var tombstones: [FileKey: Set<String>] = [:]
    /// Replicas still at the top level of a node's directory (from before spaces): file → nodes to move it on.
    var moves: [FileKey: Set<String>] = [:]
}
