/// Where the cluster keeps its catalog: the files (space, name, size, SHA-256, uploader, replicas, version), the
/// deletions still owed to nodes that were down (tombstones) and the replicas still to move into their space.
///
/// Two implementations: ``SQLiteCatalogStore`` (one file, the embedded default) and ``PostgresCatalogStore``
/// (a PostgreSQL database several bot processes can share). ``CatalogLocation`` opens either from a URL.
///
/// A store applies each batch of changes in one transaction, so a commit (the file, and the deletions left of
/// its older version) is never half recorded. Schemas are versioned and migrated when a store opens.
public protocol CatalogStore: Sendable {
    /// Where the store is, for logs and reports; never carries a password.
    var location: String { get }

    /// Everything the catalog holds.
    func load() async throws(ClusterError) -> CatalogSnapshot

    /// Applies `changes` in order, in one transaction: all of them or none.
    func apply(_ changes: [CatalogChange]) async throws(ClusterError)

    /// What other processes sharing the store changed since `sequence` (a ``CatalogSnapshot/sequence`` or an
    /// earlier delta's), or `nil` when the store no longer remembers changes that old: reload everything then.
    /// A store for one process only answers with no changes.
    func changes(since sequence: Int64) async throws(ClusterError) -> CatalogDelta?

    /// Whether this process should run the cluster's maintenance (health of pending work, repair) now: true
    /// for exactly one of the processes sharing the store, kept while it lives. Called every maintenance
    /// interval; when the leader dies, another process takes over at its next call. A store for one process
    /// always answers true.
    func claimLeadership() async -> Bool

    /// Releases the store's connections; nothing may be called after.
    func close() async
}
