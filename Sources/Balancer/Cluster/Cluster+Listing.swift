import Foundation
import FTPKit

extension Cluster {
    /// Every file of `space` on every node, merged, with the nodes that could not be reached.
    public func list(in space: Space = .default) async throws -> ClusterListing {
        await self.syncCatalog()  // what other processes sharing the catalog stored or deleted
        let (holders, unreachable, _) = await self.scan(space)
        var files: [ClusterFile] = []
        for (name, h) in holders where self.tombstones[FileKey(space, name)] == nil {
            let key = FileKey(space, name)
            var f = self.file(key) ?? ClusterFile(space: space, name: name, size: h.size, nodes: [])
            // Replicas still waiting at the top level for their move count as held.
            f.nodes = h.nodes + (self.moves[key] ?? []).subtracting(h.nodes).sorted()
            files.append(f)
        }
        for file in self.knownFiles(in: space) where holders[file.name] == nil {
            // Known files whose holders are unreachable, or whose replicas still wait at the top level for a move.
            let away = file.nodes.filter { unreachable.contains($0) || self.place(of: file.key, on: $0) != space }
            if !away.isEmpty { files.append(file) }
        }
        return ClusterListing(files: files.sorted { $0.name < $1.name }, unreachableNodes: unreachable)
    }

    /// What each node holds in `space` (a node without the space's directory holds nothing there), the nodes
    /// that could not be asked, and the temporary uploads (`.name.part-…`) found.
    func scan(_ space: Space) async -> (
        holders: [String: (size: UInt64, nodes: [String])], unreachable: [String], parts: [TemporaryPart]
    ) {
        let logger = self.logger
        let results = await withTaskGroup(of: (String, [FTPListEntry]?).self) { group in
            for node in self.nodes {
                group.addTask {
                    do {
                        return (node.name, try await node.withClient(idempotent: true) { try await $0.list(node.directory(of: space)) })
                    } catch let error as FTPClientError where error.code == .replyError && error.replyCode == 550 {
                        return (node.name, [])  // no directory for this space on that node yet
                    } catch {
                        logger.debug("a node could not be listed", metadata: ["node": "\(node.name)", "error": "\(error)"])
                        return (node.name, nil)
                    }
                }
            }
            var all: [(String, [FTPListEntry]?)] = []
            for await r in group { all.append(r) }
            return all
        }
        var holders: [String: (size: UInt64, nodes: [String])] = [:]
        var unreachable: [String] = []
        var parts: [TemporaryPart] = []
        for (node, entries) in results.sorted(by: { $0.0 < $1.0 }) {
            guard let entries else {
                unreachable.append(node)
                continue
            }
            for e in entries where e.isFile {
                // Only names the cluster itself could have stored: a node's listing is another server's word, and a
                // name with a separator or a control character (or a hidden one) is not a file of the cluster's.
                if Self.isValidName(e.name) {
                    holders[e.name, default: (e.size ?? 0, [])].nodes.append(node)
                } else if Self.isTemporaryName(e.name) {
                    parts.append(TemporaryPart(node: node, name: e.name, modified: e.modified))
                }
            }
        }
        return (holders, unreachable, parts)
    }

    /// Removes every replica. Replicas on nodes that are down are removed when they return (`refresh`), and the
    /// file stays hidden meanwhile: a deleted file never comes back.
    /// - Parameter version: delete only this version (what the caller checked); a newer one is left alone and the
    ///   call fails with ``ClusterError/Code/versionChanged``.
    public func delete(_ name: String, in space: Space = .default, version: String? = nil) async throws {
        let typed = FileKey(space, name)
        try await self.withFileLock(typed) {
            await self.syncCatalog()  // what other processes sharing the catalog stored or deleted
            if let version, let current = self.file(typed), current.version != version {
                throw ClusterError(.versionChanged, "'\(name)' was replaced since you looked at it; nothing was deleted")
            }
            // The catalog finds a name as Swift compares text, canonically (`é` precomposed, or `e` and an accent, is
            // one name), but nodes hold bytes: they are asked about the name as the file was stored, or a delete
            // typed in the other form would find no copy and still drop the record.
            let key = self.file(typed)?.key ?? typed
            let name = key.name
            // Every node is asked to delete its copy, rather than the space listed first to learn who holds one: a
            // DELE where there is none costs a 550, where listing a space of 100,000 files cost seconds per delete.
            // That also reaches a copy the catalog does not record (left by an upload that failed half-way).
            // The nodes are asked at once, as a listing would have asked them.
            let recorded = self.file(key)
            let outcomes = await withTaskGroup(of: (ClusterNode, ReplicaRemoval).self) { group in
                for node in self.nodes {
                    let place = self.place(of: key, on: node.name)
                    group.addTask {
                        (node, await self.removeReplica(name, in: place, on: node, why: "deleted", measuring: recorded == nil))
                    }
                }
                var all: [(ClusterNode, ReplicaRemoval)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            var removed = Set<String>()
            var unasked = Set<String>()
            for (node, outcome) in outcomes {
                switch outcome {
                case .removed(let size):
                    removed.insert(node.name)
                    if let size = recorded?.size ?? size { await node.account(addedBytes: -Int64(clamping: size)) }
                case .absent:
                    break
                case .failed:
                    unasked.insert(node.name)
                }
            }
            guard let left = self.planner.deletionLeftovers(recorded: recorded != nil, removed: removed, unasked: unasked)
            else { throw ClusterError(.notFound, "no file named '\(name)'") }
            // A node that could not be asked keeps a tombstone where its copy lies: removed when it answers again.
            let leftTopLevel = left.filter { self.place(of: key, on: $0) != space }
            let leftInSpace = left.subtracting(leftTopLevel)
            var changes: [CatalogChange] = []
            if self.moves[key] != nil {
                self.moves[key] = nil
                changes.append(.setMoves(key, []))
            }
            if !leftTopLevel.isEmpty {
                let topLevel = FileKey(.topLevel, name)
                self.tombstones[topLevel, default: []].formUnion(leftTopLevel)
                changes.append(.setTombstones(topLevel, self.tombstones[topLevel] ?? []))
            }
            self.setFile(key, nil)
            self.tombstones[key] = leftInSpace.isEmpty ? nil : leftInSpace
            try await self.store?.apply(changes + [.remove(key), .setTombstones(key, leftInSpace)])
        }
    }

    /// Removes one replica (or temporary copy) from one node: `true` when it is gone, or was never there.
    @discardableResult
    func removeReplica(_ name: String, in space: Space, on node: ClusterNode, why: String) async -> Bool {
        switch await self.removeReplica(name, in: space, on: node, why: why, measuring: false) {
        case .removed, .absent: true
        case .failed: false
        }
    }

    /// What removing a replica from a node found.
    enum ReplicaRemoval {
        /// It was there and is gone; its size when it was measured first.
        case removed(size: UInt64?)
        /// There was none.
        case absent
        /// The node could not be asked, or refused other than with "not found".
        case failed
    }

    /// Removes one replica (or temporary copy) from one node, reading its size first when `measuring`. The one
    /// place replicas are removed; a failure is logged with the node, the file and why it was being removed.
    func removeReplica(_ name: String, in space: Space, on node: ClusterNode, why: String, measuring: Bool) async
        -> ReplicaRemoval
    {
        let path = node.path(name, in: space)
        do {
            let size = try await node.withClient { client in
                let size = measuring ? try await client.size(of: path) : nil
                try await client.delete(path)
                return size
            }
            return .removed(size: size)
        } catch let error as FTPClientError where error.replyCode == 550 {
            return .absent  // nothing there
        } catch {
            self.logger.warning("a replica could not be removed", metadata: [
                "node": "\(node.name)", "file": "\(FileKey(space, name))", "why": "\(why)", "error": "\(error)"])
            return .failed
        }
    }
}

extension Cluster {
    /// Gives a file a new version without touching its bytes: whatever was granted for the old version (a shared
    /// link) no longer applies.
    public func renewVersion(_ name: String, in space: Space) async throws -> ClusterFile {
        let key = FileKey(space, name)
        return try await self.withFileLock(key) {
            guard var file = self.file(key) else { throw ClusterError(.notFound, "no file named '\(name)'") }
            file.version = FileVersion.make()
            try await self.store?.apply([.save(file)])
            self.setFile(key, file)
            return file
        }
    }

    /// The catalog's record of a file, without asking a node.
    public func knownFile(_ name: String, in space: Space) -> ClusterFile? { self.file(FileKey(space, name)) }
}

/// A temporary upload (`.name.part-…`) seen on a node.
struct TemporaryPart: Sendable, Hashable {
    var node: String
    var name: String
    var modified: Date?
}

extension Cluster {
    /// The name a replica is written under until every replica is complete (the name cut as needed to leave room
    /// for the dot and the suffix within the file system's 255 bytes).
    static func temporaryName(for name: String) -> String {
        NameBytes.path(beside: "." + name, suffix: ".part-\(UUID().uuidString.prefix(8))")
    }

    static func isTemporaryName(_ name: String) -> Bool {
        name.unicodeScalars.first == "." && name.contains(".part-")
    }
}
