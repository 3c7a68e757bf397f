import FTPKit
public import Foundation
public import NIOCore
import Synchronization

/// What the cluster knows about one stored file.
public struct ClusterFile: Sendable, Hashable {
    public var name: String
    public var size: UInt64
    /// SHA-256 of the content, hex; `nil` for files found on nodes but not uploaded through this cluster.
    public var sha256: String?
    public var uploader: String?
    public var uploadedAt: Date?
    /// The nodes holding a replica.
    public var nodes: [String]
}

/// A merged listing: every file with the nodes that hold it, and the nodes that could not be asked.
public struct ClusterListing: Sendable, Hashable {
    public var files: [ClusterFile]
    /// Nodes that did not answer: files only they hold are missing from `files`, and replica counts may be low.
    public var unreachableNodes: [String]
}

/// What the cluster reports as it runs, for a bot's status messages and logs.
public enum ClusterEvent: Sendable, Hashable {
    case nodeDown(String, reason: String)
    case nodeUp(String)
    /// A file had fewer replicas than required and got them back (or could not: `restored` < `missing`).
    case repaired(file: String, missing: Int, restored: Int)
    /// A node that came back still held files the cluster had deleted; they were removed.
    case reconciled(node: String, removed: [String])
    /// A node holds files the cluster does not know (not uploaded through it); they are listed, not touched.
    case unknownFiles(node: String, names: [String])
}

/// How an upload treats a name that exists already.
public enum NameCollisionPolicy: Sendable, Hashable {
    case reject
    /// The new content replaces the old on commit (each node renames over it).
    case replace
    /// The new file is stored as `name (2).ext`, `name (3).ext`…
    case keepBoth
}

/// Files spread over several FTP nodes: placement by a pluggable strategy, replication streamed to several nodes
/// at once from one read of the source, failover on download, one listing across all nodes.
public actor Cluster {
    public let nodes: [ClusterNode]
    public let strategy: any PlacementStrategy
    /// Copies of each file. Uploads succeed only when this many are committed.
    public let replicas: Int
    private var catalog: [String: ClusterFile] = [:]
    /// Deletions not yet applied to a node that was down: name → nodes still holding a copy.
    private var tombstones: [String: Set<String>] = [:]
    private var sequence: UInt64 = 0
    private var wasAvailable: [String: Bool] = [:]
    /// Unknown files already reported per node, so each is reported once.
    private var reportedUnknown: [String: Set<String>] = [:]
    /// Events as they happen; the newest 1000 are kept if nobody reads them.
    public nonisolated let events: AsyncStream<ClusterEvent>
    private let eventSink: AsyncStream<ClusterEvent>.Continuation

    private let store: ClusterCatalog?

    /// - Parameter catalogPath: an SQLite file that keeps the catalog across restarts; `nil` keeps it in memory
    ///   (rebuild it from the nodes with ``rebuildCatalog()``).
    public init(
        nodes: [NodeConfiguration], strategy: any PlacementStrategy = LeastUsedBytes(), replicas: Int? = nil,
        catalogPath: String? = nil
    ) throws(ClusterError) {
        self.nodes = nodes.map { ClusterNode(configuration: $0) }
        self.strategy = strategy
        self.replicas = max(1, min(replicas ?? (nodes.count >= 2 ? 2 : 1), nodes.count))
        (self.events, self.eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
        if let catalogPath {
            let store = try ClusterCatalog(path: catalogPath)
            (self.catalog, self.tombstones) = try store.load()
            self.store = store
        } else {
            self.store = nil
        }
    }

    /// Records what the nodes hold but the catalog does not know (files put there by other means, or a lost
    /// catalog). Their checksums come from the nodes' HASH when a download needs one.
    public func rebuildCatalog() async throws {
        let listing = try await self.list()
        for file in listing.files where self.catalog[file.name] == nil {
            self.catalog[file.name] = file
            try self.store?.save(file)
        }
    }

    /// Every file the catalog knows, for autocompletion and suggestions.
    public var knownFiles: [ClusterFile] { self.catalog.values.sorted { $0.name < $1.name } }

    /// Refreshes and repairs every `interval` until the task is cancelled: health checks, load figures, pending
    /// deletions, and re-replication of files that lost a replica.
    public func run(every interval: Duration = .seconds(30)) async {
        while !Task.isCancelled {
            await self.refresh()
            await self.repair()
            try? await Task.sleep(for: interval)
        }
    }

    /// The health of every node, for status displays.
    public func status() async -> [NodeStatus] {
        var out: [NodeStatus] = []
        for n in self.nodes {
            out.append(NodeStatus(name: n.name, load: await n.load(), latency: await n.latency, lastError: await n.lastError))
        }
        return out
    }

    func node(_ name: String) -> ClusterNode? { self.nodes.first { $0.name == name } }

    /// Health checks and load figures for every node, in parallel; also applies pending deletions to nodes that
    /// came back.
    public func refresh() async {
        await withTaskGroup(of: Void.self) { group in
            for node in self.nodes { group.addTask { await node.refresh() } }
        }
        for node in self.nodes {
            let up = await node.isAvailable()
            if let before = self.wasAvailable[node.name], before != up {
                self.eventSink.yield(up ? .nodeUp(node.name) : .nodeDown(node.name, reason: await node.lastError ?? "unreachable"))
            } else if self.wasAvailable[node.name] == nil, !up {
                self.eventSink.yield(.nodeDown(node.name, reason: await node.lastError ?? "unreachable"))
            }
            self.wasAvailable[node.name] = up
        }
        await self.applyTombstones()
    }

    /// Gives every known file its required replica count back, copying from a node that has it to the next
    /// nodes of the strategy's ranking. Files on unreachable nodes count as present (they are not lost, only away).
    public func repair() async {
        guard let listing = try? await self.list() else { return }
        var unknown: [String: [String]] = [:]
        for file in listing.files where self.catalog[file.name] == nil {
            for n in file.nodes { unknown[n, default: []].append(file.name) }
        }
        for (node, names) in unknown.sorted(by: { $0.key < $1.key }) where self.reportedUnknown[node] != Set(names) {
            self.reportedUnknown[node] = Set(names)
            self.eventSink.yield(.unknownFiles(node: node, names: names.sorted()))
        }
        for file in listing.files where self.catalog[file.name] != nil {
            let present = Set(file.nodes)
            let away = Set(self.catalog[file.name]?.nodes ?? []).intersection(listing.unreachableNodes)
            let missing = self.replicas - present.count - away.count
            guard missing > 0, let source = file.nodes.first else { continue }
            var loads: [NodeLoad] = []
            for node in self.nodes where !present.contains(node.name) && !away.contains(node.name) {
                loads.append(await node.load())
            }
            let candidates = self.strategy.rank(
                PlacementRequest(fileName: file.name, size: file.size, replicas: missing), nodes: loads)
            var restored = 0
            var holders = Array(present)
            for candidate in candidates where restored < missing {
                if await self.copy(file.name, size: file.size, from: source, to: candidate) {
                    restored += 1
                    holders.append(candidate)
                }
            }
            self.catalog[file.name]?.nodes = holders.sorted() + away.sorted()
            if let updated = self.catalog[file.name] { try? self.store?.save(updated) }  // retried on the next repair
            self.eventSink.yield(.repaired(file: file.name, missing: missing, restored: restored))
        }
    }

    // MARK: - Upload

    /// Streams `source` to `replicas` nodes at once (the source is read once and never held whole), commits each
    /// copy by renaming it into place, and returns the file as recorded. If a node fails mid-upload, the copy is
    /// made afterwards from a node that succeeded to the next node in the strategy's ranking.
    public func upload<Source: AsyncSequence & Sendable>(
        _ name: String, from source: Source, size: UInt64? = nil, uploader: String? = nil,
        collision: NameCollisionPolicy = .reject
    ) async throws -> ClusterFile where Source.Element == ByteBuffer {
        guard Self.isValidName(name) else { throw ClusterError(.invalidName, "'\(name)' is not a valid file name") }
        var chosenName = name
        if self.catalog[name] != nil {
            switch collision {
            case .reject: throw ClusterError(.invalidName, "a file named '\(name)' exists already")
            case .replace: break
            case .keepBoth: chosenName = self.freeName(name)
            }
        }
        let finalName = chosenName
        var loads: [NodeLoad] = []
        for node in self.nodes { loads.append(await node.load()) }
        self.sequence += 1
        let ranking = self.strategy.rank(
            PlacementRequest(fileName: finalName, size: size ?? 0, replicas: self.replicas, sequence: self.sequence),
            nodes: loads)
        guard !ranking.isEmpty else { throw ClusterError(.noNodeAvailable, "no storage node is available") }
        let targets = Array(ranking.prefix(self.replicas))
        let temporary = ".\(finalName).part-\(UUID().uuidString.prefix(8))"

        // One reader, one queue per target; a failed target abandons its queue so the others go on.
        let queues = targets.map { _ in ChunkQueue() }
        let digest = SharedDigest()
        let readResult: Result<UInt64, any Error> = await withTaskGroup(of: Void.self) { group in
            for (node, queue) in zip(targets.compactMap(self.node), queues) {
                group.addTask {
                    do {
                        _ = try await node.withClient { client in
                            try await client.upload(queue.sequence, to: node.configuration.path(temporary))
                        }
                    } catch {
                        queue.abandon()
                    }
                }
            }
            var total: UInt64 = 0
            do {
                for try await chunk in source {
                    digest.update(chunk)
                    total += UInt64(chunk.readableBytes)
                    var delivered = false
                    for q in queues where await q.push(chunk) { delivered = true }
                    if !delivered { throw ClusterError(.insufficientReplicas, "every storage node failed during the upload") }
                }
                queues.forEach { $0.finish() }
                await group.waitForAll()
                return .success(total)
            } catch {
                queues.forEach { $0.finish(throwing: error) }
                await group.waitForAll()
                return .failure(error)
            }
        }
        let checksum = digest.finalize()

        // Commit on every node whose copy is complete and of the right size.
        var committed: [String] = []
        if case .success(let total) = readResult {
            for target in targets {
                guard let node = self.node(target) else { continue }
                let ok = (try? await node.withClient { client -> Bool in
                    let path = node.configuration.path(temporary)
                    guard try await client.size(of: path) == total else { return false }
                    try await client.rename(path, to: node.configuration.path(finalName))
                    return true
                }) ?? false
                if ok {
                    committed.append(target)
                    await node.account(addedBytes: Int64(total))
                }
            }
        }
        // Leftover temporary copies are removed wherever they are.
        for target in targets where !committed.contains(target) {
            if let node = self.node(target) {
                _ = try? await node.withClient { client -> Void in try await client.delete(node.configuration.path(temporary)) }
            }
        }
        let total: UInt64
        switch readResult {
        case .failure(let error): throw error
        case .success(let t): total = t
        }
        guard let first = committed.first else {
            throw ClusterError(.insufficientReplicas, "no storage node accepted '\(finalName)'")
        }
        // Replace lost replicas from a committed copy, on the next nodes of the ranking.
        for candidate in ranking.dropFirst(targets.count) where committed.count < self.replicas {
            if await self.copy(finalName, size: total, from: first, to: candidate) { committed.append(candidate) }
        }
        guard committed.count >= self.replicas else {
            throw ClusterError(.insufficientReplicas,
                "'\(finalName)' was stored on \(committed.count) of \(self.replicas) required nodes")
        }
        // Replacing: copies of the old content on nodes outside the new set must not linger.
        for stale in Set(self.catalog[finalName]?.nodes ?? []).subtracting(committed) {
            guard let node = self.node(stale) else { continue }
            do {
                try await node.withClient { try await $0.delete(node.configuration.path(finalName)) }
            } catch {
                self.tombstones[finalName, default: []].insert(stale)
            }
        }
        let file = ClusterFile(
            name: finalName, size: total, sha256: checksum, uploader: uploader, uploadedAt: Date(), nodes: committed)
        self.catalog[finalName] = file
        // A pending deletion of an older file of this name applies only to nodes that do not hold the new one.
        let pending = (self.tombstones[finalName] ?? []).subtracting(committed)
        self.tombstones[finalName] = pending.isEmpty ? nil : pending
        try self.store?.save(file)
        try self.store?.setTombstones(finalName, nodes: pending)
        return file
    }

    /// Streams a committed file from one node to another (re-replication).
    func copy(_ name: String, size: UInt64, from source: String, to target: String) async -> Bool {
        guard let from = self.node(source), let to = self.node(target) else { return false }
        let temporary = ".\(name).part-\(UUID().uuidString.prefix(8))"
        let queue = ChunkQueue()
        async let upload: Bool = {
            do {
                try await to.withClient { client in
                    try await client.upload(queue.sequence, to: to.configuration.path(temporary))
                    guard try await client.size(of: to.configuration.path(temporary)) == size else {
                        throw ClusterError(.insufficientReplicas, "short copy")
                    }
                    try await client.rename(to.configuration.path(temporary), to: to.configuration.path(name))
                }
                return true
            } catch {
                queue.abandon()
                return false
            }
        }()
        do {
            try await from.withClient { client in
                try await client.download(from.configuration.path(name)) { stream in
                    for try await chunk in stream where !(await queue.push(chunk)) {
                        throw ClusterError(.insufficientReplicas, "target gave up")
                    }
                }
            }
            queue.finish()
        } catch {
            queue.finish(throwing: error)
        }
        let ok = await upload
        if ok { await to.account(addedBytes: Int64(size)) }
        return ok
    }

    // MARK: - Download

    /// Delivers a file's bytes to `consumer` in order, from the healthiest replica; if that replica fails
    /// mid-transfer, continues from the next one where it stopped (REST). Verifies the SHA-256 recorded at upload
    /// at the end (the consumer should treat the data as provisional until this returns).
    @discardableResult
    public func download(
        _ name: String, _ consumer: @Sendable (ByteBuffer) async throws -> Void
    ) async throws -> ClusterFile {
        let file: ClusterFile
        if let known = self.catalog[name] {
            file = known
        } else if let found = try await self.list().files.first(where: { $0.name == name }) {
            file = found
        } else {
            throw ClusterError(.notFound, "no file named '\(name)'")
        }
        // Healthiest first: available nodes, fastest health check first.
        var ranked: [(node: ClusterNode, available: Bool, latency: Duration)] = []
        for n in file.nodes {
            if let node = self.node(n) { ranked.append((node, await node.isAvailable(), await node.latency ?? .seconds(1))) }
        }
        ranked.sort { ($0.available ? 0 : 1, $0.latency) < ($1.available ? 0 : 1, $1.latency) }
        let order = ranked.map { ($0.node, $0.available) }
        // A file not uploaded through the cluster has no recorded checksum: ask a node that offers HASH.
        var expected = file.sha256
        if expected == nil {
            for (node, available) in order where available {
                if let hex = try? await node.withClient({ client -> String? in
                    await client.features.hashAlgorithms.contains("SHA-256")
                        ? try await client.hash(of: node.configuration.path(name)) : nil
                }) {
                    expected = hex
                    break
                }
            }
        }
        let digest = SharedDigest()
        let delivered = ProgressBox()
        var lastError: (any Error)?
        for (node, _) in order {
            do {
                let offset = delivered.value
                try await node.withClient { client in
                    try await client.download(node.configuration.path(name), offset: offset) { stream in
                        for try await chunk in stream {
                            try await consumer(chunk)
                            digest.update(chunk)
                            delivered.add(chunk.readableBytes)
                        }
                    }
                }
                if delivered.value == file.size { break }
            } catch {
                lastError = error
            }
        }
        guard delivered.value == file.size else {
            throw ClusterError(.allReplicasFailed,
                "'\(name)' could not be read from any of \(file.nodes.joined(separator: ", "))" + (lastError.map { ": \($0)" } ?? ""))
        }
        if let expected, digest.finalize() != expected {
            throw ClusterError(.checksumMismatch, "'\(name)' does not match the checksum recorded at upload")
        }
        return file
    }

    // MARK: - Listing and deletion

    /// Every file on every node, merged, with the nodes that could not be reached.
    public func list() async throws -> ClusterListing {
        var holders: [String: (size: UInt64, nodes: [String])] = [:]
        var unreachable: [String] = []
        let results = await withTaskGroup(of: (String, [FTPListEntry]?).self) { group in
            for node in self.nodes {
                group.addTask {
                    let entries = try? await node.withClient { try await $0.list(node.configuration.directory) }
                    return (node.name, entries)
                }
            }
            var all: [(String, [FTPListEntry]?)] = []
            for await r in group { all.append(r) }
            return all
        }
        for (node, entries) in results.sorted(by: { $0.0 < $1.0 }) {
            guard let entries else {
                unreachable.append(node)
                continue
            }
            for e in entries where e.isFile && !e.name.hasPrefix(".") {
                holders[e.name, default: (e.size ?? 0, [])].nodes.append(node)
            }
        }
        var files: [ClusterFile] = []
        for (name, h) in holders where self.tombstones[name] == nil {
            var f = self.catalog[name] ?? ClusterFile(name: name, size: h.size, sha256: nil, uploader: nil, uploadedAt: nil, nodes: [])
            f.nodes = h.nodes
            files.append(f)
        }
        // Files whose only holders are unreachable are still known from the catalog.
        for (name, f) in self.catalog where holders[name] == nil && f.nodes.contains(where: unreachable.contains) {
            files.append(f)
        }
        return ClusterListing(files: files.sorted { $0.name < $1.name }, unreachableNodes: unreachable)
    }

    /// Removes every replica. Replicas on nodes that are down are removed when they return (`refresh`), and the
    /// file stays hidden meanwhile: a deleted file never comes back.
    public func delete(_ name: String) async throws {
        let listing = try await self.list()
        guard let file = listing.files.first(where: { $0.name == name }) else {
            throw ClusterError(.notFound, "no file named '\(name)'")
        }
        var pending = Set(file.nodes).union(self.catalog[name]?.nodes ?? []).union(listing.unreachableNodes)
        for n in pending {
            guard let node = self.node(n) else { continue }
            do {
                try await node.withClient { try await $0.delete(node.configuration.path(name)) }
                pending.remove(n)
                await node.account(addedBytes: -Int64(file.size))
            } catch let e as FTPClientError where e.replyCode == 550 {
                pending.remove(n)  // nothing there
            } catch {}
        }
        self.catalog[name] = nil
        self.tombstones[name] = pending.isEmpty ? nil : pending
        try self.store?.remove(name)
        try self.store?.setTombstones(name, nodes: pending)
    }

    private func applyTombstones() async {
        for (name, nodes) in self.tombstones {
            var left = nodes
            for n in nodes {
                guard let node = self.node(n), await node.isAvailable() else { continue }
                do {
                    try await node.withClient { try await $0.delete(node.configuration.path(name)) }
                    left.remove(n)
                } catch let e as FTPClientError where e.replyCode == 550 {
                    left.remove(n)
                } catch {}
            }
            self.tombstones[name] = left.isEmpty ? nil : left
            if left != nodes { try? self.store?.setTombstones(name, nodes: left) }  // retried on the next refresh
            for n in nodes.subtracting(left) { self.eventSink.yield(.reconciled(node: n, removed: [name])) }
        }
    }

    public func close() async {
        for node in self.nodes { await node.close() }
        self.eventSink.finish()
    }

    /// Checked scalar by scalar and in bytes: `Character` comparisons miss a `/` that Swift folds together with a
    /// combining mark, and file systems limit names to 255 bytes, not characters.
    public static func isValidName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return !scalars.isEmpty && name.utf8.count <= 255 && scalars.first != "."
            && !scalars.contains { $0 == "/" || $0 == "\\" || $0.value < 32 || $0.value == 127 }
    }

    private func freeName(_ name: String) -> String {
        let dot = name.lastIndex(of: ".").map { name.distance(from: name.startIndex, to: $0) }
        let stem = dot.map { String(name.prefix($0)) } ?? name
        let ext = dot.map { String(name.dropFirst($0)) } ?? ""
        var n = 2
        while self.catalog["\(stem) (\(n))\(ext)"] != nil { n += 1 }
        return "\(stem) (\(n))\(ext)"
    }
}

/// A SHA-256 fed from a `@Sendable` callback; the lock makes the (sequential) updates safe to share.
final class SharedDigest: Sendable {
    private let digest = Mutex(Digest(.sha256)!)
    func update(_ chunk: ByteBuffer) { self.digest.withLock { d in chunk.withUnsafeReadableBytes { d.update($0) } } }
    func finalize() -> String { self.digest.withLock { $0.finalizeHex() } }
}

/// Bytes delivered so far, shared with the download's callbacks.
final class ProgressBox: Sendable {
    private let v = Mutex<UInt64>(0)
    var value: UInt64 { self.v.withLock { $0 } }
    func add(_ n: Int) { self.v.withLock { $0 += UInt64(n) } }
}
