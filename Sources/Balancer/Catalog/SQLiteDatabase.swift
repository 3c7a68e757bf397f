import CSQLite
import Foundation

/// A minimal SQLite connection: execute statements with bound text/integer values and read rows back.
/// Used from one actor at a time (the cluster's), so it needs no locking of its own.
final class SQLiteDatabase {
    enum Value: Sendable {
        case text(String)
        case integer(Int64)
        case null
    }

    private var handle: OpaquePointer?
    let path: String

    init(path: String) throws(ClusterError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw ClusterError(.catalogUnavailable, "cannot open the catalog \(path): \(message)")
        }
        self.handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(self.handle) }

    /// Closes the connection; statements run after it fail with ``ClusterError/Code/catalogUnavailable``.
    func close() {
        sqlite3_close(self.handle)
        self.handle = nil
    }

    private func error(_ what: String) -> ClusterError {
        ClusterError(.catalogUnavailable, "catalog \(self.path): \(what): \(String(cString: sqlite3_errmsg(self.handle)))")
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. Not reentrant.
    func transaction(_ body: () throws(ClusterError) -> Void) throws(ClusterError) {
        try self.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try self.execute("COMMIT")
        } catch {
            _ = try? self.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs one statement; returns its rows (each a list of values, in column order).
    @discardableResult
    func execute(_ sql: String, _ arguments: [Value] = []) throws(ClusterError) -> [[Value]] {
        guard self.handle != nil else {
            throw ClusterError(.catalogUnavailable, "catalog \(self.path): used after it was closed")
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(self.handle, sql, -1, &statement, nil) == SQLITE_OK else { throw self.error("prepare") }
        defer { sqlite3_finalize(statement) }
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch argument {
            case .text(let s): rc = sqlite3_bind_text(statement, index, s, -1, seed_sqlite_transient())
            case .integer(let n): rc = sqlite3_bind_int64(statement, index, n)
            case .null: rc = sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw self.error("bind") }
        }
        var rows: [[Value]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw self.error("step") }
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, c)))
                case SQLITE_NULL: row.append(.null)
                default: row.append(.text(String(cString: sqlite3_column_text(statement, c))))
                }
            }
            rows.append(row)
        }
        return rows
    }
}

extension SQLiteDatabase.Value {
    var string: String? { if case .text(let s) = self { return s } else { return nil } }
    var int: Int64? { if case .integer(let n) = self { return n } else { return nil } }
}
