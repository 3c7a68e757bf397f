import FTPKit
public import Foundation
public import Logging
import NIOCore

/// Files spread over several FTP nodes: placement by a pluggable strategy, replication streamed to several nodes
/// at once from one read of the source, failover on download, one listing across all nodes.
///
/// Every file lives in a ``Space`` (a directory on each node). Decisions that must not race — whether a name is
/// free, what a quota admits — are taken synchronously (``UploadBook``) before an operation's first suspension
/// point, and the sections that change one file (commit, delete, repair, pending deletions) run one at a time per
/// file (``FileLocks``).
public actor Cluster {
    /// The nodes, in configuration order.
    public nonisolated let nodes: [ClusterNode]
    /// How new files are placed.
    public let strategy: any PlacementStrategy
    /// Copies of each file. Uploads succeed only when this many are committed.
    public nonisolated let replicas: Int
    let logger: Logger
    /// The catalog in memory, by space so a space's listing does not walk every file.
    var files: [Space: SpaceIndex] = [:]
    /// Deletions not yet applied to a node that was down: file → nodes still holding a copy.
    var tombstones: [FileKey: Set<String>] = [:]
    /// Replicas still at the top of a node's directory, from before spaces: file → nodes to move it on.
    var moves: [FileKey: Set<String>] = [:]
    /// Nodes being drained: no upload, copy or repair places anything new on them.
    public internal(set) var draining: Set<String> = []
    var book = UploadBook()
    var locks = FileLocks()
    var sequence: UInt64 = 0
    private var wasAvailable: [String: Bool] = [:]
    private var refreshing: Task<Void, Never>?
    /// Unknown files already reported per node, so each is reported once.
    var reportedUnknown: [String: Set<FileKey>] = [:]
    /// The last space a maintenance round audited (``repair(spaces:)``): the next round goes on after it.
    var lastAudited: Space?
    /// Temporary names (`.name.part-…`) this cluster is writing now: repair never takes them for leftovers.
    var partsInFlight: Set<FileKey> = []
    /// How long a temporary upload on a node must have been left untouched before repair removes it (the age
    /// covers uploads of other processes sharing the nodes, which this one cannot see in flight).
    public nonisolated let abandonedPartAge: Double
    /// What whole-file downloads are checked against.
    public nonisolated let downloadCheck: DownloadCheck
    /// Events as they happen; the newest 1000 are kept if nobody reads them.
    public nonisolated let events: AsyncStream<ClusterEvent>
    let eventSink: AsyncStream<ClusterEvent>.Continuation

    let store: (any CatalogStore)?
    /// The store was opened by this cluster (``init(nodes:strategy:replicas:catalogPath:legacySpace:abandonedPartAge:downloadCheck:logger:)``),
    /// so ``close()`` closes it too.
    private let ownsStore: Bool
    /// How far this cluster has followed the store's change feed.
    var catalogSequence: Int64 = 0
    private var syncing: Task<Void, Never>?
    /// Whether the store answers follows. Once one fails (a stalled server costs its answer limit), callers stop
    /// waiting on the store and are served what this cluster knows, while one follow at a time, in the background,
    /// probes it (after 5 s, then longer) until it answers again.
    private var catalogHealth = CircuitBreaker(configuration: .init(
        failureThreshold: 1, initialBackoff: .seconds(5), maxBackoff: .seconds(60)))
    /// Whether the last follow succeeded (``catalogHealth`` closed): callers then wait for their follows.
    private var catalogAnswers: Bool {
        if case .closed = self.catalogHealth.state { true } else { false }
    }
    /// The time ``catalogHealth`` decides by: the clock, or a test's.
    private let now: @Sendable () -> ContinuousClock.Instant

    /// A cluster whose catalog lives in an SQLite file (or only in memory).
    /// - Parameters:
    ///   - catalogPath: an SQLite file that keeps the catalog across restarts; `nil` keeps it in memory (rebuild
    ///     it from the nodes with ``rebuildCatalog()``). One process at a time: another cluster with the file open
    ///     (until its ``close()``) makes this throw ``ClusterError/Code/catalogInUse``.
    ///   - legacySpace: where the files of a catalog from before spaces go (migrated on open, logged).
    ///   - abandonedPartAge: seconds after which ``repair()`` removes a temporary upload left on a node by a
    ///     process that stopped mid-upload.
    ///   - downloadCheck: what whole-file downloads are checked against (``DownloadCheck``).
    public init(
        nodes: [NodeConfiguration], strategy: any PlacementStrategy = LeastUsedBytes(), replicas: Int? = nil,
        catalogPath: String? = nil, legacySpace: Space = .default, abandonedPartAge: Double = 3600,
        downloadCheck: DownloadCheck = .crc32c, logger: Logger = Logger(label: "Balancer.Cluster")
    ) throws(ClusterError) {
        var store: SQLiteCatalogStore?
        var snapshot = CatalogSnapshot()
        if let catalogPath {
            let opened = try SQLiteCatalogStore(path: catalogPath, legacySpace: legacySpace)
            snapshot = try opened.load()
            store = opened
            if opened.migratedFiles > 0 {
                logger.notice("catalog migrated to spaces", metadata: [
                    "files": "\(opened.migratedFiles)", "space": "\(legacySpace)", "catalog": "\(catalogPath)"])
            }
        }
        self.init(nodes: nodes, strategy: strategy, replicas: replicas, store: store, ownsStore: true, snapshot: snapshot,
                  abandonedPartAge: abandonedPartAge, downloadCheck: downloadCheck, logger: logger)
    }

    /// A cluster whose catalog lives in `catalog` (see ``CatalogLocation`` to open one from a URL). The cluster
    /// keeps its own copy in memory and writes every change through; it does not close the store.
    public init(
        nodes: [NodeConfiguration], strategy: any PlacementStrategy = LeastUsedBytes(), replicas: Int? = nil,
        catalog: any CatalogStore, abandonedPartAge: Double = 3600, downloadCheck: DownloadCheck = .crc32c,
        logger: Logger = Logger(label: "Balancer.Cluster")
    ) async throws(ClusterError) {
        let snapshot = try await catalog.load()
        self.init(nodes: nodes, strategy: strategy, replicas: replicas, store: catalog, snapshot: snapshot,
                  abandonedPartAge: abandonedPartAge, downloadCheck: downloadCheck, logger: logger)
    }

    /// A cluster on `catalog` whose time follows `now` (tests move time instead of waiting).
    package init(nodes: [NodeConfiguration], catalog: any CatalogStore, now: @escaping @Sendable () -> ContinuousClock.Instant)
        async throws(ClusterError)
    {
        let snapshot = try await catalog.load()
        self.init(
            nodes: nodes, strategy: LeastUsedBytes(), replicas: nil, store: catalog, snapshot: snapshot,
            abandonedPartAge: 3600, downloadCheck: .crc32c, now: now, logger: Logger(label: "Balancer.Cluster"))
    }

    /// A cluster without a catalog whose nodes' health follows `now` (tests move time instead of waiting).
    package init(
        nodes: [NodeConfiguration], replicas: Int? = nil, now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.init(
            nodes: nodes, strategy: LeastUsedBytes(), replicas: replicas, store: nil, snapshot: CatalogSnapshot(),
            abandonedPartAge: 3600, downloadCheck: .crc32c, now: now, logger: Logger(label: "Balancer.Cluster"))
    }

    private init(
        nodes: [NodeConfiguration], strategy: any PlacementStrategy, replicas: Int?, store: (any CatalogStore)?,
        ownsStore: Bool = false, snapshot: CatalogSnapshot, abandonedPartAge: Double, downloadCheck: DownloadCheck,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, logger: Logger
    ) {
        self.abandonedPartAge = abandonedPartAge
        self.downloadCheck = downloadCheck
        self.now = now
        self.nodes = nodes.map { ClusterNode(configuration: $0, breaker: $0.retry, now: now, logger: logger) }
        self.strategy = strategy
        self.replicas = max(1, min(replicas ?? (nodes.count >= 2 ? 2 : 1), nodes.count))
        self.logger = logger
        (self.events, self.eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
        self.files = Self.indexes(snapshot.files.values)
        self.tombstones = snapshot.tombstones
        self.moves = snapshot.moves
        self.catalogSequence = snapshot.sequence
        self.draining = snapshot.draining
        self.store = store
        self.ownsStore = ownsStore
    }

    // MARK: - The catalog in memory

    func file(_ key: FileKey) -> ClusterFile? { self.files[key.space]?[key.name] }

    func setFile(_ key: FileKey, _ file: ClusterFile?) {
        self.files[key.space, default: SpaceIndex()].set(key.name, file)
        if self.files[key.space]?.isEmpty == true { self.files[key.space] = nil }
    }

    /// Every file in memory, in no order.
    var everyFile: [ClusterFile] { self.files.values.flatMap(\.byName) }

    static func indexes(_ files: some Sequence<ClusterFile>) -> [Space: SpaceIndex] {
        Dictionary(grouping: files, by: \.space).mapValues { SpaceIndex($0) }
    }

    /// Every file the catalog knows in `space`, by name: for autocompletion and suggestions, without asking nodes.
    public func knownFiles(in space: Space) -> [ClusterFile] { self.files[space]?.byName ?? [] }

    /// Up to `limit` names in `space` for completing `typed`: those starting with it (any case) first, then those
    /// containing it. From the catalog in memory, kept in order as it changes (no sort per call).
    public func knownNames(in space: Space, matching typed: String, limit: Int = 25) -> [String] {
        self.files[space]?.names(matching: typed, limit: limit) ?? []
    }

    /// Every file the catalog knows, in every space.
    public var allKnownFiles: [ClusterFile] { self.everyFile.sorted { $0.key < $1.key } }

    /// The spaces that hold at least one file.
    public var spaces: [Space] { self.files.keys.sorted() }

    /// What `uploader` keeps in `space`: committed files and uploads in flight.
    public func usage(of uploader: String, in space: Space) -> SpaceUsage {
        var usage = self.committedUsage(of: uploader, in: space)
        let inFlight = self.book.usage(of: uploader, in: space)
        usage.bytes = usage.bytes.addingClamped(inFlight.bytes)
        usage.files += inFlight.files
        return usage
    }

    func committedUsage(of uploader: String, in space: Space) -> SpaceUsage {
        (self.files[space]?.byName ?? []).reduce(into: SpaceUsage()) { usage, file in
            guard file.uploader == uploader else { return }
            usage.bytes = usage.bytes.addingClamped(file.size)
            usage.files += 1
        }
    }

    // MARK: - One file at a time

    /// Runs `body` while holding `key`'s lock; see ``FileLocks``.
    func withFileLock<T>(_ key: FileKey, _ body: () async throws -> T) async rethrows -> T {
        if !self.locks.tryAcquire(key) {
            await withCheckedContinuation { self.locks.enqueue(key, $0) }
        }
        defer { self.locks.release(key)?.resume() }
        return try await body()
    }

    // MARK: - Health

    /// Whether this process should act on an event other processes sharing the catalog may also have received
    /// (``CatalogStore/claimEvent(_:)``): true for exactly one of them, always true without a shared catalog.
    public func claimEvent(_ id: String, keepUntil: Date = Date().addingTimeInterval(86_400)) async -> Bool {
        await self.store?.claimEvent(id, keepUntil: keepUntil) ?? true
    }

    /// Whether another process (or this one) claimed `id` with ``claimEvent(_:keepUntil:)``; false without a shared
    /// catalog.
    public func isClaimed(_ id: String) async throws(ClusterError) -> Bool {
        try await self.store?.isClaimed(id) ?? false
    }

    /// Holds `token` (anything used by one process at a time, such as an upload link) across the processes
    /// sharing the catalog: false while another holds it. Always true without a shared catalog.
    public func holdAcrossProcesses(_ token: String) async throws(ClusterError) -> Bool {
        guard let store = self.store, store.isShared else { return true }
        return try await store.hold(Self.tokenKey(token), exclusive: true)
    }

    /// Gives back a hold taken by ``holdAcrossProcesses(_:)``.
    public func releaseAcrossProcesses(_ token: String) async {
        guard let store = self.store, store.isShared else { return }
        await store.release(Self.tokenKey(token), exclusive: true)
    }

    /// A token as a name hold's key: in a space no file can be in (its name starts with a NUL).
    private static func tokenKey(_ token: String) -> FileKey { FileKey(.default, "\u{0}token\u{0}" + token) }

    /// The health of every node, for status displays.
    public func status() async -> [NodeStatus] {
        var out: [NodeStatus] = []
        for n in self.nodes {
            out.append(NodeStatus(name: n.name, load: await n.load(), latency: await n.latency, lastError: await n.lastError,
                                  isDraining: self.draining.contains(n.name)))
        }
        return out
    }

    /// The replica decisions for this cluster's replica count.
    var planner: ReplicaPlanner { ReplicaPlanner(replicas: self.replicas) }

    func node(_ name: String) -> ClusterNode? { self.nodes.first { $0.name == name } }

    /// Load figures of the nodes that may receive new data (all but those being drained, and `excluding`).
    func placeableLoads(excluding: Set<String> = []) async -> [NodeLoad] {
        var loads: [NodeLoad] = []
        for node in self.nodes where !self.draining.contains(node.name) && !excluding.contains(node.name) {
            loads.append(await node.load())
        }
        return loads
    }

    /// Refreshes and repairs every `interval` until the task is cancelled: health checks, load figures, pending
    /// deletions and moves, and re-replication of files that lost a replica. With a catalog several processes
    /// share, only the one its store names leader (``CatalogStore/claimLeadership()``) applies pending work and
    /// repairs; the others follow the catalog and check their nodes' health.
    /// - Parameter spacesPerRound: how many spaces a round audits (lists on every node and repairs), in turn
    ///   (``repair(spaces:)``): with more spaces than this, each comes round every few rounds, and a round's cost
    ///   no longer grows with the number of spaces.
    public func run(every interval: Duration = .seconds(30), spacesPerRound: Int = 64) async {
        while !Task.isCancelled {
            await self.syncCatalog()
            if await self.store?.claimLeadership() ?? true {
                await self.refresh()
                await self.repair(spaces: spacesPerRound)
            } else {
                await self.refreshHealth()
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Brings the catalog in memory up to date with what other processes sharing the store wrote. Callers
    /// arriving while a sync runs wait for that one. After a follow failed, callers do not wait: they get what
    /// this cluster knows, and a follow in the background finds out when the store answers again.
    public func syncCatalog() async {
        guard self.store != nil else { return }
        if self.catalogAnswers {
            await (self.syncing ?? self.startSync()).value
        } else if self.syncing == nil, self.catalogHealth.allowRequest(now: self.now()) {
            _ = self.startSync()
        }
    }

    private func startSync() -> Task<Void, Never> {
        let task = Task {
            await self.syncOnce()
            self.syncing = nil
        }
        self.syncing = task
        return task
    }

    private func syncOnce() async {
        guard let store = self.store else { return }
        do {
            if let delta = try await store.changes(since: self.catalogSequence) {
                self.follow(delta)
            } else {
                // Changes this old are forgotten: read everything again.
                let snapshot = try await store.load()
                self.files = Self.indexes(snapshot.files.values)
                self.tombstones = snapshot.tombstones
                self.moves = snapshot.moves
                self.draining = snapshot.draining
                self.catalogSequence = snapshot.sequence
                self.logger.notice("catalog reloaded", metadata: ["files": "\(snapshot.files.count)"])
            }
            self.catalogAnswered()
        } catch {
            self.logger.warning("the catalog could not be followed", metadata: ["error": "\(error)"])
            if self.catalogAnswers {
                self.logger.warning("commands are served from what this process knows until the catalog answers again")
            }
            self.catalogHealth.recordFailure(now: self.now(), random: Double.random(in: 0..<1))
        }
    }

    private func follow(_ delta: CatalogDelta) {
        guard delta.sequence > self.catalogSequence else { return }
        for (key, file) in delta.files { self.setFile(key, file) }
        for (key, nodes) in delta.tombstones { self.tombstones[key] = nodes.isEmpty ? nil : nodes }
        for (key, nodes) in delta.moves { self.moves[key] = nodes.isEmpty ? nil : nodes }
        if let draining = delta.draining { self.draining = draining }
        self.catalogSequence = delta.sequence
    }

    private func catalogAnswered() {
        if self.catalogAnswers { return }
        self.catalogHealth.recordSuccess()
        self.logger.notice("the catalog answers again")
    }

    /// Health checks and load figures for every node, in parallel; then applies pending deletions and moves to
    /// nodes that answer. Callers arriving while a refresh runs wait for that one instead of starting another.
    public func refresh() async {
        if let running = self.refreshing { return await running.value }
        let task = Task { await self.refreshOnce() }
        self.refreshing = task
        await task.value
        self.refreshing = nil
    }

    private func refreshOnce() async {
        await self.refreshHealth()
        await self.applyTombstones()
        await self.applyMoves()
    }

    /// Health checks and load figures for every node, in parallel, without touching their files.
    public func refreshHealth() async {
        await withTaskGroup(of: Void.self) { group in
            for node in self.nodes { group.addTask { await node.refresh() } }
        }
        var used: [String: UInt64] = [:]
        for file in self.everyFile {
            for n in file.nodes { used[n] = (used[n] ?? 0).addingClamped(file.size) }
        }
        for node in self.nodes {
            await node.setUsedBytes(used[node.name] ?? 0)
            let up = await node.isAvailable()
            if self.wasAvailable[node.name] != up, self.wasAvailable[node.name] != nil || !up {
                self.eventSink.yield(up ? .nodeUp(node.name) : .nodeDown(node.name, reason: await node.lastError ?? "unreachable"))
            }
            self.wasAvailable[node.name] = up
        }
    }

    /// Closes the connections to the nodes, and the catalog when this cluster opened it.
    public func close() async {
        for node in self.nodes { await node.close() }
        if self.ownsStore { await self.store?.close() }
        self.eventSink.finish()
    }

    /// Whether `name` can name a file on every node: 1 to ``FileNames/maxBytes`` bytes of UTF-8, not starting with
    /// `.` (hidden files, `.` and `..`), without `/`, `\` or control characters. Checked scalar by scalar and in
    /// bytes: `Character` comparisons miss a `/` that Swift folds together with a combining mark, and file systems
    /// limit names to 255 bytes, not characters.
    public static func isValidName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return !scalars.isEmpty && name.utf8.count <= FileNames.maxBytes && scalars.first != "."
            && !scalars.contains { $0 == "/" || $0 == "\\" || $0.value < 32 || $0.value == 127 }
    }
}
