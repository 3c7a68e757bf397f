public import Foundation
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

    /// Whether other processes may share the store (and so its names): uploads then hold their name in it.
    var isShared: Bool { get }

    /// Holds a file's name for an upload across every process sharing the store: `exclusive` (a new name, kept
    /// from every other upload) or shared (a replacement, kept only from exclusive holds). False when another
    /// process's hold conflicts. Holds die with the process that took them, so a crash never leaves a name held.
    func hold(_ key: FileKey, exclusive: Bool) async throws(ClusterError) -> Bool

    /// Gives back a hold taken by ``hold(_:exclusive:)``.
    func release(_ key: FileKey, exclusive: Bool) async

    /// Counts an upload in flight against its owner's quota for every process sharing the store, in one
    /// transaction with the check (what the owner's committed files and every live process's holds use), so
    /// concurrent uploads from different processes never exceed the quota together. Throws `.quotaExceeded` when
    /// the upload does not fit. Holds die with their process. `nil` from a store for one process only, whose
    /// cluster's own book already counts everything in flight.
    func holdQuota(_ request: QuotaHoldRequest) async throws(ClusterError) -> QuotaHold?

    /// Gives back a hold taken by ``holdQuota(_:)``, once its upload is recorded (or failed).
    func releaseQuota(_ hold: QuotaHold) async

    /// Whether this process is the first of those sharing the store to claim `id` (an event every process may
    /// have received, such as a chat command when two processes run the same gateway shard; an upload link used
    /// once): true for exactly one of them; the claim is kept until `keepUntil`. A store for one process always
    /// answers true.
    func claimEvent(_ id: String, keepUntil: Date) async -> Bool

    /// Whether `id` was claimed (and the claim is still kept). A store for one process answers false.
    func isClaimed(_ id: String) async throws(ClusterError) -> Bool

    /// Releases the store's connections; nothing may be called after.
    func close() async
}

extension CatalogStore {
    public func holdQuota(_ request: QuotaHoldRequest) async throws(ClusterError) -> QuotaHold? { nil }
    public func releaseQuota(_ hold: QuotaHold) async {}
    public func claimEvent(_ id: String, keepUntil: Date) async -> Bool { true }
    public func isClaimed(_ id: String) async throws(ClusterError) -> Bool { false }
}
