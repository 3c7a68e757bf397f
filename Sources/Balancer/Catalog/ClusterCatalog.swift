import Foundation

/// The durable record of the cluster's files and pending deletions, in an SQLite database, so a restarted bot
/// knows every file (checksum, uploader, replicas) and still removes copies from nodes that were down.
public final class ClusterCatalog {
    private let db: SQLiteDatabase

    /// Opens (creating if needed) the catalog at `path`.
    public init(path: String) throws(ClusterError) {
        self.db = try SQLiteDatabase(path: path)
        try self.db.execute("PRAGMA journal_mode=WAL")
        try self.db.execute("PRAGMA synchronous=NORMAL")
        try self.db.execute("""
            CREATE TABLE IF NOT EXISTS files (
                name TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT, uploader TEXT, uploaded_at INTEGER,
                nodes TEXT NOT NULL)
            """)
        try self.db.execute("CREATE TABLE IF NOT EXISTS tombstones (name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (name, node))")
    }

    func load() throws(ClusterError) -> (files: [String: ClusterFile], tombstones: [String: Set<String>]) {
        var files: [String: ClusterFile] = [:]
        for row in try self.db.execute("SELECT name, size, sha256, uploader, uploaded_at, nodes FROM files") {
            guard let name = row[0].string, let size = row[1].int else { continue }
            files[name] = ClusterFile(
                name: name, size: UInt64(size), sha256: row[2].string, uploader: row[3].string,
                uploadedAt: row[4].int.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                nodes: (row[5].string ?? "").split(separator: "\n").map(String.init))
        }
        var tombstones: [String: Set<String>] = [:]
        for row in try self.db.execute("SELECT name, node FROM tombstones") {
            if let name = row[0].string, let node = row[1].string { tombstones[name, default: []].insert(node) }
        }
        return (files, tombstones)
    }

    func save(_ file: ClusterFile) throws(ClusterError) {
        try self.db.execute(
            "INSERT OR REPLACE INTO files (name, size, sha256, uploader, uploaded_at, nodes) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(file.name), .integer(Int64(file.size)), file.sha256.map { .text($0) } ?? .null,
             file.uploader.map { .text($0) } ?? .null,
             file.uploadedAt.map { .integer(Int64($0.timeIntervalSince1970 * 1000)) } ?? .null,
             .text(file.nodes.joined(separator: "\n"))])
    }

    func remove(_ name: String) throws(ClusterError) {
        try self.db.execute("DELETE FROM files WHERE name = ?", [.text(name)])
    }

    func setTombstones(_ name: String, nodes: Set<String>) throws(ClusterError) {
        try self.db.execute("DELETE FROM tombstones WHERE name = ?", [.text(name)])
        for node in nodes.sorted() {
            try self.db.execute("INSERT INTO tombstones (name, node) VALUES (?, ?)", [.text(name), .text(node)])
        }
    }
}
