// The catalog's tables, their migrations and the advisory-lock keys every process agrees on.

extension PostgresCatalogStore {
    /// Each entry brings the schema from its index to the next version (entry 0: from nothing to version 1).
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE seed_files (
                space TEXT NOT NULL, name TEXT NOT NULL, size BIGINT NOT NULL CHECK (size >= 0), sha256 TEXT,
                uploader TEXT, uploaded_at BIGINT, nodes TEXT[] NOT NULL, version TEXT NOT NULL,
                PRIMARY KEY (space, name))
            """,
            "CREATE TABLE seed_tombstones (space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))",
            "CREATE TABLE seed_moves (space TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL, PRIMARY KEY (space, name, node))",
        ],
        // 2: the change feed other processes follow (``changes(since:)``), and how far it was pruned.
        [
            """
            CREATE TABLE seed_changes (seq BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, name TEXT NOT NULL,
                at TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
            "CREATE TABLE seed_catalog_state (pruned_through BIGINT NOT NULL)",
            "INSERT INTO seed_catalog_state (pruned_through) VALUES (0)",
        ],
        // 3: nodes being drained.
        ["CREATE TABLE seed_draining (node TEXT PRIMARY KEY)"],
        // 4: uploads in flight counted against quotas across processes (``holdQuota(_:)``); `liveness` names the
        // holding process's session lock.
        [
            """
            CREATE TABLE seed_quota_holds (id BIGSERIAL PRIMARY KEY, space TEXT NOT NULL, owner TEXT NOT NULL,
                bytes BIGINT NOT NULL, files INTEGER NOT NULL, liveness BIGINT NOT NULL)
            """,
            "CREATE INDEX seed_quota_holds_owner ON seed_quota_holds (space, owner)",
            "CREATE INDEX seed_files_uploader ON seed_files (space, uploader)",
        ],
        // 5: each file's CRC-32C, which downloads check (files from before have none: SHA-256 is checked).
        ["ALTER TABLE seed_files ADD COLUMN crc32c BIGINT CHECK (crc32c BETWEEN 0 AND 4294967295)"],
        // 6: events one process took on, so that another that received it too leaves it (a chat command), or
        // things used once across processes (an upload link) (``claimEvent(_:keepUntil:)``).
        ["CREATE TABLE seed_claimed_events (id TEXT PRIMARY KEY, keep_until TIMESTAMPTZ NOT NULL)"],
    ]
    package static var schemaVersion: Int { Self.migrations.count }
    /// The advisory lock migrations hold ("seed" and "cat" in ASCII).
    static let migrationLock: Int64 = 0x7365_6564_0063_6174
    /// The lock every writing transaction holds: change numbers are then committed in the order they are
    /// taken, so a reader that has seen number N has seen every change before it. (Writes are per upload or
    /// delete; serialising them costs nothing that matters.)
    static let writeLock: Int64 = 0x7365_6564_0077_7274
    /// The session lock the maintenance leader holds on its own connection.
    static let leaderLock: Int64 = 0x7365_6564_006C_6472
    /// How long the change feed keeps a change; a process that has not looked for longer reloads everything.
    static let changeRetention = "1 hour"
}
