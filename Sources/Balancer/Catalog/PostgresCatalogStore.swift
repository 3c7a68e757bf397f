import FTPKit
public import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The catalog in a PostgreSQL database (through postgres-nio), which several bot processes can share.
///
/// Tables are prefixed `seed_` so the database can hold other things. The schema's version is kept in
/// `seed_catalog_schema`; migrations run in one transaction under an advisory lock, so processes starting together
/// migrate once. Each ``apply(_:)`` is one transaction.
public final class PostgresCatalogStore: CatalogStore {
    public let location: String
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let logger: Logger
    private let connectionSettings: PostgresConnection.Configuration
    /// How long one call waits for the server (``Configuration/answerTimeout``).
    private let answerTimeout: Duration
    /// The leader's own connection, which holds ``leaderLock`` for as long as it lives.
    private let leadership = Mutex<Leadership?>(nil)
    /// The connection that holds this process's name holds (session advisory locks: the server drops them when
    /// the process dies, so a crash never leaves a name held).
    private let holdsConnection = Mutex<HoldsConnection?>(nil)

    /// The connection for holds and the session lock on it that says this process is alive (quota holds name it).
    struct HoldsConnection: Sendable {
        var connection: PostgresConnection
        var liveness: Int64
    }

    private init(
        location: String, client: PostgresClient, connectionSettings: PostgresConnection.Configuration,
        answerTimeout: Duration, logger: Logger
    ) {
        self.location = location
        self.client = client
        self.connectionSettings = connectionSettings
        self.answerTimeout = answerTimeout
        self.logger = logger
        // The pool's lifetime: it runs until close() cancels it.
        self.running = Task { await client.run() }
    }

    deinit {
        // Let go without close() (an early return, a thrown error): its own connections are closed, with the holds
        // and the leadership on them, and the pool stops. postgres-nio stops a debug build's process when a
        // connection is freed open.
        if let held = self.holdsConnection.withLock({ $0 }) { Self.startClosing(held.connection) }
        if let leader = self.leadership.withLock({ $0 }) { Self.startClosing(leader.connection) }
        self.running.cancel()
    }

    /// Connects, checks the server and migrates the schema. One plain connection does that first, so a wrong
    /// address, password or database is reported at once (a pool would keep retrying).
    public static func open(_ configuration: Configuration, logger: Logger) async throws(ClusterError) -> PostgresCatalogStore {
        let connectionSettings = try configuration.connection()
        let clientSettings = try configuration.client()
        do {
            try await TimeLimit.run(configuration.answerTimeout) {
                let connection = try await PostgresConnection.connect(configuration: connectionSettings, id: 0, logger: logger)
                do {
                    try await Self.migrate(connection, logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterError(.catalogUnavailable, "the catalog \(configuration): \(Self.describe(error))")
        }
        return PostgresCatalogStore(
            location: configuration.description, client: PostgresClient(configuration: clientSettings, backgroundLogger: logger),
            connectionSettings: connectionSettings, answerTimeout: configuration.answerTimeout, logger: logger)
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await c.query("CREATE TABLE IF NOT EXISTS seed_catalog_schema (version INTEGER NOT NULL)", logger: logger)
            var version = 0
            for try await v in try await c.query("SELECT version FROM seed_catalog_schema", logger: logger).decode(Int.self) {
                version = max(version, v)
            }
            guard version <= Self.schemaVersion else {
                throw ClusterError(.catalogUnavailable,
                    "the catalog has schema version \(version), newer than this program's \(Self.schemaVersion)")
            }
            guard version < Self.schemaVersion else { return }
            for statements in Self.migrations[version...] {
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            }
            try await c.query("DELETE FROM seed_catalog_schema", logger: logger)
            try await c.query("INSERT INTO seed_catalog_schema (version) VALUES (\(Self.schemaVersion))", logger: logger)
            logger.notice("catalog schema migrated", metadata: ["from": "\(version)", "to": "\(Self.schemaVersion)"])
        }
    }

    public func load() async throws(ClusterError) -> CatalogSnapshot {
        let (client, logger) = (self.client, self.logger)
        return try await self.answered("read") {
            try await client.withTransaction(logger: logger) { c in
                // One snapshot of the database for the rows and the sequence number that goes with them.
                try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                var snapshot = CatalogSnapshot()
                snapshot.sequence = try await Self.sequence(on: c, logger: logger)
                snapshot.files = try await Self.files(where: "TRUE", on: c, logger: logger)
                snapshot.tombstones = try await Self.nodes(in: "seed_tombstones", where: "TRUE", on: c, logger: logger)
                snapshot.moves = try await Self.nodes(in: "seed_moves", where: "TRUE", on: c, logger: logger)
                snapshot.draining = try await Self.draining(on: c, logger: logger)
                return snapshot
            }
        }
    }

    /// The newest change number committed (or pruned).
    private static func sequence(on c: PostgresConnection, logger: Logger) async throws -> Int64 {
        var sequence: Int64 = 0
        for try await n in try await c.query(
            "SELECT greatest((SELECT coalesce(max(seq), 0) FROM seed_changes), (SELECT pruned_through FROM seed_catalog_state))",
            logger: logger
        ).decode(Int64.self) {
            sequence = n
        }
        return sequence
    }

    private static func draining(on c: PostgresConnection, logger: Logger) async throws -> Set<String> {
        var nodes: Set<String> = []
        for try await node in try await c.query("SELECT node FROM seed_draining", logger: logger).decode(String.self) { nodes.insert(node) }
        return nodes
    }

    /// The keys changed after `sequence`, as a condition on `space` and `name`.
    private static let changedSince = "(space, name) IN (SELECT space, name FROM seed_changes WHERE seq > $1)"

    private static func files(where condition: String, after: Int64? = nil, on c: PostgresConnection, logger: Logger) async throws -> [FileKey: ClusterFile] {
        var query = PostgresQuery(unsafeSQL: "SELECT space, name, size, sha256, uploader, uploaded_at, nodes, version, crc32c FROM seed_files WHERE \(condition)")
        if let after { query.binds.append(after) }
        var files: [FileKey: ClusterFile] = [:]
        for try await (spaceName, name, size, sha256, uploader, uploadedAt, nodes, version, crc32c)
            in try await c.query(query, logger: logger).decode((String, String, Int64, String?, String?, Int64?, [String], String, Int64?).self) {
            TimeLimit.progressed()
            guard let space = Space(spaceName), size >= 0 else { continue }
            files[FileKey(space, name)] = ClusterFile(
                space: space, name: name, size: UInt64(size), sha256: sha256, crc32c: crc32c.flatMap { UInt32(exactly: $0) },
                uploader: uploader,
                uploadedAt: uploadedAt.map { Date(timeIntervalSince1970: Double($0) / 1000) }, nodes: nodes,
                version: version)
        }
        return files
    }

    private static func nodes(in table: String, where condition: String, after: Int64? = nil, on c: PostgresConnection, logger: Logger) async throws -> [FileKey: Set<String>] {
        var query = PostgresQuery(unsafeSQL: "SELECT space, name, node FROM \(table) WHERE \(condition)")
        if let after { query.binds.append(after) }
        var rows: [FileKey: Set<String>] = [:]
        for try await (spaceName, name, node) in try await c.query(query, logger: logger).decode((String, String, String).self) {
            TimeLimit.progressed()
            if let space = Space.stored(spaceName) { rows[FileKey(space, name), default: []].insert(node) }
        }
        return rows
    }

    public func changes(since sequence: Int64) async throws(ClusterError) -> CatalogDelta? {
        let (client, logger) = (self.client, self.logger)
        return try await self.answered("read") {
            try await client.withTransaction(logger: logger) { c -> CatalogDelta? in
                try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
                var pruned: Int64 = 0
                for try await n in try await c.query("SELECT pruned_through FROM seed_catalog_state", logger: logger).decode(Int64.self) {
                    pruned = n
                }
                guard sequence >= pruned else { return nil }
                let latest = max(sequence, try await Self.sequence(on: c, logger: logger))
                guard latest > sequence else { return CatalogDelta(sequence: sequence) }
                var keys: [FileKey] = []
                for try await (spaceName, name) in try await c.query(
                    "SELECT DISTINCT space, name FROM seed_changes WHERE seq > \(sequence)", logger: logger
                ).decode((String, String).self) {
                    if let space = Space.stored(spaceName) { keys.append(FileKey(space, name)) }
                }
                let files = try await Self.files(where: Self.changedSince, after: sequence, on: c, logger: logger)
                let tombstones = try await Self.nodes(in: "seed_tombstones", where: Self.changedSince, after: sequence, on: c, logger: logger)
                let moves = try await Self.nodes(in: "seed_moves", where: Self.changedSince, after: sequence, on: c, logger: logger)
                var delta = CatalogDelta(sequence: latest)
                delta.draining = try await Self.draining(on: c, logger: logger)
                for key in keys {
                    delta.files[key] = .some(files[key])
                    delta.tombstones[key] = tombstones[key] ?? []
                    delta.moves[key] = moves[key] ?? []
                }
                return delta
            }
        }
    }

    public func apply(_ changes: [CatalogChange]) async throws(ClusterError) {
        guard !changes.isEmpty else { return }
        let (client, logger) = (self.client, self.logger)
        try await self.answered("write") {
            try await client.withTransaction(logger: logger) { c in
                try await c.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
                for change in changes {
                    try await Self.apply(change, on: c, logger: logger)
                    TimeLimit.progressed()  // a copy of a whole catalog is one long transaction, answered all along
                }
                var touched: [FileKey] = []
                for change in changes {
                    let key = change.key
                    if !touched.contains(key) { touched.append(key) }
                }
                try await c.query("""
                    INSERT INTO seed_changes (space, name) SELECT * FROM unnest(\(touched.map(\.space.name))::text[], \(touched.map(\.name))::text[])
                    """, logger: logger)
                // Given up on (the answer came too late): rolled back rather than committed behind the caller's
                // back. A COMMIT already sent when the limit passes may still land, as with any lost answer.
                try Task.checkCancellation()
            }
        }
    }

    private static func apply(_ change: CatalogChange, on c: PostgresConnection, logger: Logger) async throws {
        switch change {
        case .save(let f):
            let uploadedAt = f.uploadedAt.flatMap { Int64(exactly: ($0.timeIntervalSince1970 * 1000).rounded()) }
            try await c.query("""
                INSERT INTO seed_files (space, name, size, sha256, uploader, uploaded_at, nodes, version, crc32c)
                VALUES (\(f.space.name), \(f.name), \(Int64(f.size)), \(f.sha256), \(f.uploader), \(uploadedAt), \(f.nodes),
                    \(f.version), \(f.crc32c.map { Int64($0) }))
                ON CONFLICT (space, name) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
                    uploader = EXCLUDED.uploader, uploaded_at = EXCLUDED.uploaded_at, nodes = EXCLUDED.nodes,
                    version = EXCLUDED.version, crc32c = EXCLUDED.crc32c
                """, logger: logger)
        case .remove(let key):
            try await c.query("DELETE FROM seed_files WHERE space = \(key.space.name) AND name = \(key.name)", logger: logger)
        case .setTombstones(let key, let nodes):
            try await Self.setRows("seed_tombstones", key, nodes, on: c, logger: logger)
        case .setMoves(let key, let nodes):
            try await Self.setRows("seed_moves", key, nodes, on: c, logger: logger)
        case .setDraining(let node, true):
            try await c.query("INSERT INTO seed_draining (node) VALUES (\(node)) ON CONFLICT DO NOTHING", logger: logger)
        case .setDraining(let node, false):
            try await c.query("DELETE FROM seed_draining WHERE node = \(node)", logger: logger)
        }
    }

    private static func setRows(
        _ table: String, _ key: FileKey, _ nodes: Set<String>, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("DELETE FROM \(unescaped: table) WHERE space = \(key.space.name) AND name = \(key.name)", logger: logger)
        guard !nodes.isEmpty else { return }
        try await c.query("""
            INSERT INTO \(unescaped: table) (space, name, node) SELECT \(key.space.name), \(key.name), unnest(\(nodes.sorted())::text[])
            """, logger: logger)
    }

    public func claimLeadership() async -> Bool {
        if let held = self.leadership.withLock({ $0 }) {
            // Still ours while the server says our backend holds the lock. Asked over the pool, not over the
            // leader's own connection: a query on a connection the server has just terminated was seen to hang.
            if await self.stillLeads(held) {
                await self.pruneChanges()
                return true
            }
            self.leadership.withLock { $0 = nil }
            Self.startClosing(held.connection)
            self.logger.warning("catalog leadership lost with its connection", metadata: ["catalog": "\(self.location)"])
        }
        let (settings, logger) = (self.connectionSettings, self.logger)
        // A lock taken after the caller was told it does not lead is let go with its connection: kept, it would
        // stop every process, this one included, from leading.
        let claimed = try? await TimeLimit.run(self.answerTimeout, late: { (late: Leadership?) in
            if let late { Self.startClosing(late.connection) }
        }) { () -> Leadership? in
            let connection = try await PostgresConnection.connect(configuration: settings, id: 1, logger: logger)
            var backend: Int32?
            do {
                let rows = try await connection.query(
                    "SELECT pg_try_advisory_lock(\(Self.leaderLock)), pg_backend_pid()", logger: logger)
                for try await (granted, pid) in rows.decode((Bool, Int32).self) where granted { backend = pid }
            } catch {
                backend = nil
            }
            guard let backend else {
                try? await connection.close()
                return nil
            }
            return Leadership(connection: connection, backend: backend)
        }
        guard let claimed = claimed ?? nil else { return false }
        self.leadership.withLock { $0 = claimed }
        self.logger.notice("this process now leads the cluster's maintenance", metadata: ["catalog": "\(self.location)"])
        return true
    }

    /// The leader's connection and the server process behind it.
    struct Leadership: Sendable {
        var connection: PostgresConnection
        var backend: Int32
    }

    private func stillLeads(_ held: Leadership) async -> Bool {
        guard !held.connection.isClosed else { return false }
        let key = UInt64(bitPattern: Self.leaderLock)
        let (client, logger) = (self.client, self.logger)
        do {
            return try await TimeLimit.run(self.answerTimeout) {
                var holds = false
                for try await found in try await client.query("""
                    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                        AND classid::bigint = \(Int64(key >> 32)) AND objid::bigint = \(Int64(key & 0xFFFF_FFFF)) AND pid = \(held.backend))
                    """, logger: logger).decode(Bool.self) {
                    holds = found
                }
                return holds
            }
        } catch {
            return false
        }
    }

    public var isShared: Bool { true }

    public func hold(_ key: FileKey, exclusive: Bool) async throws(ClusterError) -> Bool {
        let lock = Self.holdKey(key)
        let logger = self.logger
        // Past the limit the connection is dropped (with any hold it grants after the caller gave up), so whatever
        // else waits on it fails at once; a hold granted late on a connection opened meanwhile is released.
        let late: @Sendable (Bool) -> Void = { granted in
            if granted { Task { await self.release(key, exclusive: exclusive) } }
        }
        return try await self.answered("read", onExpiry: { self.dropHoldsConnection() }, late: late) {
            let connection = try await self.holdingConnection().connection
            var granted = false
            let query: PostgresQuery = exclusive
                ? "SELECT pg_try_advisory_lock(\(lock))" : "SELECT pg_try_advisory_lock_shared(\(lock))"
            for try await ok in try await connection.query(query, logger: logger).decode(Bool.self) { granted = ok }
            return granted
        }
    }

    public func release(_ key: FileKey, exclusive: Bool) async {
        let lock = Self.holdKey(key)
        let logger = self.logger
        guard let connection = self.holdsConnection.withLock({ $0?.connection }), !connection.isClosed else { return }
        let query: PostgresQuery = exclusive ? "SELECT pg_advisory_unlock(\(lock))" : "SELECT pg_advisory_unlock_shared(\(lock))"
        do {
            try await TimeLimit.run(self.answerTimeout) { _ = try await connection.query(query, logger: logger) }
        } catch {
            // A release that cannot be made in time drops the connection, which releases every hold on it.
            if error is TimeLimit.Exceeded { self.dropHoldsConnection() }
            self.logger.warning("a name hold could not be released", metadata: ["file": "\(key)", "error": "\(Self.describe(error))"])
        }
    }

    /// Claims `id` for this process: one INSERT that only the first process can make. Fails open (answers true)
    /// when the catalog cannot be reached: a command answered twice is better than one never answered.
    public func claimEvent(_ id: String, keepUntil: Date) async -> Bool {
        let until = keepUntil.timeIntervalSince1970
        let (client, logger) = (self.client, self.logger)
        do {
            return try await TimeLimit.run(self.answerTimeout) {
                let rows = try await client.query(
                    "INSERT INTO seed_claimed_events (id, keep_until) VALUES (\(id), to_timestamp(\(until))) ON CONFLICT (id) DO NOTHING RETURNING id",
                    logger: logger)
                var claimed = false
                for try await _ in rows.decode(String.self) { claimed = true }
                return claimed
            }
        } catch {
            self.logger.warning("an event could not be claimed in the catalog; handling it here",
                                metadata: ["event": "\(id)", "error": "\(Self.describe(error))"])
            return true
        }
    }

    public func isClaimed(_ id: String) async throws(ClusterError) -> Bool {
        let (client, logger) = (self.client, self.logger)
        return try await self.answered("read") {
            let rows = try await client.query(
                "SELECT count(*) FROM seed_claimed_events WHERE id = \(id) AND keep_until > now()", logger: logger)
            var count = 0
            for try await n in rows.decode(Int.self) { count = n }
            return count > 0
        }
    }

    /// The holds' connection, opened on first use and again after it was lost (its holds went with it). It takes
    /// a session lock of its own at once: quota holds name that lock, and count only while it is held.
    private func holdingConnection() async throws -> HoldsConnection {
        if let held = self.holdsConnection.withLock({ $0 }), !held.connection.isClosed { return held }
        let connection = try await PostgresConnection.connect(configuration: self.connectionSettings, id: 2, logger: self.logger)
        let liveness = Int64(bitPattern: (UInt64.random(in: 0...UInt64.max) & 0x00FF_FFFF_FFFF_FFFF) | 0x5100_0000_0000_0000)
        do {
            try await connection.query("SELECT pg_advisory_lock(\(liveness))", logger: self.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        let fresh = HoldsConnection(connection: connection, liveness: liveness)
        let kept = self.holdsConnection.withLock { held -> HoldsConnection? in
            if let held, !held.connection.isClosed { return held }  // another task connected meanwhile: use that one
            held = fresh
            return nil
        }
        if let kept {
            try? await connection.close()
            return kept
        }
        return fresh
    }

    // MARK: - Quotas across processes

    public func holdQuota(_ request: QuotaHoldRequest) async throws(ClusterError) -> QuotaHold? {
        let logger = self.logger
        let lock = Self.quotaKey(space: request.space, owner: request.owner)
        let space = request.space.name
        let owner = request.owner
        let client = self.client
        // A hold recorded after the caller was told it failed would count against the owner until this process
        // ends: released.
        let late: @Sendable (QuotaHold?) -> Void = { hold in
            if let hold { Task { await self.releaseQuota(hold) } }
        }
        return try await self.answered("write", late: late) {
            do {
                let liveness = try await self.holdingConnection().liveness
                return try await client.withTransaction(logger: logger) { c async throws -> QuotaHold in
                    // One owner's admissions one at a time, across processes; other owners are not held up.
                    try await c.query("SELECT pg_advisory_xact_lock(\(lock))", logger: logger)
                    // Holds of processes that died (their liveness lock went with their connection) count no more.
                    try await c.query("""
                        DELETE FROM seed_quota_holds h WHERE NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'
                            AND l.granted AND l.objsubid = 1 AND l.classid::bigint = (h.liveness >> 32) & 4294967295
                            AND l.objid::bigint = h.liveness & 4294967295)
                        """, logger: logger)
                    var used = SpaceUsage()
                    for try await (bytes, files) in try await c.query("""
                        SELECT (SELECT coalesce(sum(size), 0) FROM seed_files WHERE space = \(space) AND uploader = \(owner))::bigint
                            + (SELECT coalesce(sum(bytes), 0) FROM seed_quota_holds WHERE space = \(space) AND owner = \(owner))::bigint,
                            (SELECT count(*) FROM seed_files WHERE space = \(space) AND uploader = \(owner))::bigint
                            + (SELECT coalesce(sum(files), 0) FROM seed_quota_holds WHERE space = \(space) AND owner = \(owner))::bigint
                        """, logger: logger).decode((Int64, Int64).self) {
                        used = SpaceUsage(bytes: UInt64(max(0, bytes)), files: Int(files))
                    }
                    let maxBytes = try request.admit(used: used).get()
                    let files = request.replacing.files == 0 ? 1 : 0
                    var id: Int64 = 0
                    for try await row in try await c.query("""
                        INSERT INTO seed_quota_holds (space, owner, bytes, files, liveness)
                        VALUES (\(space), \(owner), \(Int64(clamping: maxBytes ?? 0)), \(files), \(liveness)) RETURNING id
                        """, logger: logger).decode(Int64.self) {
                        id = row
                    }
                    // Given up on: rolled back, so no hold counts that no caller knows of.
                    try Task.checkCancellation()
                    return QuotaHold(id: id, maxBytes: maxBytes)
                }
            } catch let error as PostgresTransactionError {
                // The quota's refusal, rolled back: the caller's answer, not a catalog failure.
                if let refusal = error.closureError as? ClusterError { throw refusal }
                throw error
            }
        }
    }

    public func releaseQuota(_ hold: QuotaHold) async {
        let (client, logger) = (self.client, self.logger)
        do {
            try await TimeLimit.run(self.answerTimeout) {
                _ = try await client.query("DELETE FROM seed_quota_holds WHERE id = \(hold.id)", logger: logger)
            }
        } catch {
            // Counted until its process ends, which releases it for good.
            self.logger.warning("a quota hold could not be released", metadata: ["hold": "\(hold.id)", "error": "\(Self.describe(error))"])
        }
    }

    /// An owner's quota lock in a space: 64 bits of SHA-256 (top byte fixed apart from the other locks).
    package static func quotaKey(space: Space, owner: String) -> Int64 {
        let digest = Digest(.sha256)
        Array("seed-quota\u{0}\(space.name)\u{0}\(owner)".utf8).withUnsafeBytes { digest.update($0) }
        let value = UInt64(digest.finalizeHex().prefix(16), radix: 16) ?? 0
        return Int64(bitPattern: (value & 0x00FF_FFFF_FFFF_FFFF) | 0x5200_0000_0000_0000)
    }

    /// A name's advisory lock: 64 bits of SHA-256 over the space and the name (the top byte fixed apart from the
    /// store's own locks). The name is taken in its composed form (NFC): the catalog finds names canonically, so
    /// `café` with a precomposed `é` and with `e` + U+0301 are one file and must be one lock, or two processes
    /// uploading the two forms at once would both record it.
    package static func holdKey(_ key: FileKey) -> Int64 {
        let digest = Digest(.sha256)
        let name = key.name.precomposedStringWithCanonicalMapping
        Array("seed-name-hold\u{0}\(key.space.name)\u{0}\(name)".utf8).withUnsafeBytes { digest.update($0) }
        let hex = digest.finalizeHex()
        let value = UInt64(hex.prefix(16), radix: 16) ?? 0
        return Int64(bitPattern: (value & 0x00FF_FFFF_FFFF_FFFF) | 0x4800_0000_0000_0000)
    }

    /// Forgets changes older than ``changeRetention`` (the leader does it, once per interval).
    private func pruneChanges() async {
        let (client, logger) = (self.client, self.logger)
        do {
            try await TimeLimit.run(self.answerTimeout) {
                try await client.query("""
                    WITH gone AS (DELETE FROM seed_changes WHERE at < now() - interval '\(unescaped: Self.changeRetention)' RETURNING seq)
                    UPDATE seed_catalog_state SET pruned_through = greatest(pruned_through, (SELECT coalesce(max(seq), 0) FROM gone))
                    """, logger: logger)
                try await client.query("DELETE FROM seed_claimed_events WHERE keep_until < now()", logger: logger)
            }
        } catch {
            self.logger.warning("old catalog changes could not be pruned", metadata: ["error": "\(Self.describe(error))"])
        }
    }

    public func close() async {
        // Session locks are unlocked before each connection closes: a closed connection's locks go only once the
        // server's backend has exited, a moment after the close returns, so the process that claims leadership
        // (or a held name) next could still find them taken. Unlocked, they are free when this returns.
        // Each step waits at most the answer limit: a stalled server must not keep the process from stopping.
        let logger = self.logger
        let holds: HoldsConnection? = self.holdsConnection.withLock { c in defer { c = nil }; return c }
        let leader: Leadership? = self.leadership.withLock { leadership in defer { leadership = nil }; return leadership }
        let own: [PostgresConnection] = [holds?.connection, leader?.connection].compactMap { $0 }
        for connection in own where !connection.isClosed {
            do {
                try await TimeLimit.run(self.answerTimeout) {
                    _ = try await connection.query("SELECT pg_advisory_unlock_all()", logger: logger)
                    try await connection.close()
                }
            } catch {
                // Closed without a goodbye: the server drops the locks once it notices.
                Self.startClosing(connection)
            }
        }
        self.running.cancel()
        let running = self.running
        _ = try? await TimeLimit.run(self.answerTimeout) { await running.value }
    }

    /// Drops the holds' connection (and with it every name this process holds) once the server stopped answering
    /// on it; the next hold opens another.
    private func dropHoldsConnection() {
        guard let held = self.holdsConnection.withLock({ c in defer { c = nil }; return c }) else { return }
        self.logger.warning("the catalog's connection for name holds stopped answering; dropped with its holds",
                            metadata: ["catalog": "\(self.location)"])
        Self.startClosing(held.connection)
    }

    /// Closes a connection without waiting for it. postgres-nio's close only starts closing the channel, which stays
    /// active until its event loop runs the close, and it checks (in debug builds) that a connection is closed when
    /// its last reference goes: released before, it stops the process. Seen here: a hold's query, failed by the
    /// close, released the connection on another thread before the channel had closed. Kept until it has.
    private static func startClosing(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// One call to the server, answered within ``Configuration/answerTimeout``: past it the caller gets
    /// `catalogUnavailable` and `onExpiry` runs (to drop a connection the call waited on); every other failure
    /// becomes a ``ClusterError`` too.
    private func answered<T: Sendable>(
        _ what: String, onExpiry: () -> Void = {}, late: (@Sendable (T) -> Void)? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws(ClusterError) -> T {
        do {
            return try await TimeLimit.run(self.answerTimeout, late: late, body)
        } catch {
            if error is TimeLimit.Exceeded { onExpiry() }
            throw self.failure(what, error)
        }
    }

    private func failure(_ what: String, _ error: any Error) -> ClusterError {
        if let error = error as? ClusterError { return error }
        let description = Self.describe(error)
        self.logger.error("the catalog could not be \(what == "read" ? "read" : "written")", metadata: [
            "catalog": "\(self.location)", "error": "\(description)"])
        return ClusterError(.catalogUnavailable, "the catalog \(self.location) could not be \(what == "read" ? "read" : "written"): \(description)")
    }

    /// One line an operator can act on: the server's own message, or what failed on the way to it. (postgres-nio
    /// hides details from `description` on purpose; these carry no password.)
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError { return Self.describe(inner) }
        }
        if let error = error as? ClusterError { return error.message }
        if let error = error as? TimeLimit.Exceeded {
            return "the server did not answer within \(error.limit.components.seconds) s"
        }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let server = error.serverInfo, let message = server[.message] {
            return message + (server[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying {
            return Self.connectionProblem(underlying) ?? "\(error.code): \(underlying)"
        }
        return "\(error.code)"
    }

    /// A connection that could not be made, in words an operator acts on, instead of NIO's
    /// `Connection errors: SingleConnectionFailure(target: …, error: … (errno: 111))`.
    static func connectionProblem(_ error: any Error) -> String? {
        var io = error as? IOError
        if let failed = error as? NIOConnectionError {
            if failed.dnsAError != nil && failed.dnsAAAAError != nil && failed.connectionErrors.isEmpty {
                return "the host name does not resolve"
            }
            io = failed.connectionErrors.lazy.compactMap { $0.error as? IOError }.first
        }
        guard let code = io?.errnoCode else { return nil }
        return switch code {
        case ECONNREFUSED: "the connection was refused: is PostgreSQL running and listening on that address and port?"
        case ETIMEDOUT, EHOSTUNREACH, ENETUNREACH: "the server cannot be reached (\(String(cString: strerror(code))))"
        default: String(cString: strerror(code))
        }
    }
}
