import FTPKit

extension Cluster {
    /// Gives every known file its required replica count back, copying from a node that has it to the next
    /// nodes of the strategy's ranking. Files on unreachable nodes count as present (they are not lost, only away).
    /// Reports files on nodes that the catalog does not know.
    public func repair() async {
        for space in self.spaces {
            let (holders, unreachable) = await self.scan(space)
            var unknown: [String: Set<FileKey>] = [:]
            for (name, h) in holders where self.file(FileKey(space, name)) == nil && self.tombstones[FileKey(space, name)] == nil {
                for n in h.nodes { unknown[n, default: []].insert(FileKey(space, name)) }
            }
            for (node, keys) in unknown.sorted(by: { $0.key < $1.key }) where !keys.isSubset(of: self.reportedUnknown[node] ?? []) {
                self.reportedUnknown[node, default: []].formUnion(keys)
                self.eventSink.yield(.unknownFiles(node: node, files: keys.sorted()))
            }
            for name in holders.keys.sorted() {
                await self.repair(FileKey(space, name), present: Set(holders[name]?.nodes ?? []), unreachable: unreachable)
            }
        }
    }

    /// One file, under its lock: the catalog entry is read again there, so a file deleted or replaced since the
    /// scan is left alone.
    private func repair(_ key: FileKey, present scanned: Set<String>, unreachable: [String]) async {
        await self.withFileLock(key) {
            guard let file = self.file(key) else { return }
            let present = scanned.intersection(file.nodes).union(self.moves[key] ?? [])
            let away = Set(file.nodes).subtracting(present).intersection(unreachable)
            let missing = self.replicas - present.count - away.count
            guard missing > 0, let source = present.sorted().first else { return }
            var loads: [NodeLoad] = []
            for node in self.nodes where !present.contains(node.name) && !away.contains(node.name) {
                loads.append(await node.load())
            }
            let candidates = self.strategy.rank(
                PlacementRequest(fileName: key.description, size: file.size, replicas: missing), nodes: loads)
            var restored: [String] = []
            for candidate in candidates where restored.count < missing {
                if await self.copy(key, size: file.size, from: source, to: candidate) { restored.append(candidate) }
            }
            var updated = file
            updated.nodes = (present.union(restored).union(away)).sorted()
            self.setFile(key, updated)
            do {
                try self.store?.save(updated)
            } catch {
                self.logger.error("the catalog could not record a repair", metadata: ["file": "\(key)", "error": "\(error)"])
            }
            self.eventSink.yield(.repaired(file: key, missing: missing, restored: restored.count))
        }
    }

    /// Applies deletions that a node missed while it was down.
    func applyTombstones() async {
        for key in self.tombstones.keys.sorted() {
            await self.withFileLock(key) {
                guard let nodes = self.tombstones[key] else { return }
                var removed = Set<String>()
                for n in nodes {
                    guard let node = self.node(n), await node.isAvailable(),
                        await self.removeReplica(key.name, in: key.space, on: node, why: "pending deletion")
                    else { continue }
                    removed.insert(n)
                }
                guard !removed.isEmpty else { return }
                let left = (self.tombstones[key] ?? []).subtracting(removed)
                self.tombstones[key] = left.isEmpty ? nil : left
                do {
                    try self.store?.setTombstones(key, nodes: left)
                } catch {
                    self.logger.error("the catalog could not record a deletion", metadata: ["file": "\(key)", "error": "\(error)"])
                }
                for n in removed.sorted() { self.eventSink.yield(.reconciled(node: n, removed: [key])) }
            }
        }
    }

    /// Moves replicas from before spaces into their space's directory on nodes that answer.
    func applyMoves() async {
        for key in self.moves.keys.sorted() {
            await self.withFileLock(key) {
                guard let nodes = self.moves[key] else { return }
                var moved = Set<String>()
                for n in nodes {
                    guard let node = self.node(n), await node.isAvailable() else { continue }
                    do {
                        try await node.withClient { client in
                            await node.ensureDirectory(key.space, client: client)
                            try await client.rename(node.path(key.name, in: .topLevel), to: node.path(key.name, in: key.space))
                        }
                        moved.insert(n)
                        self.eventSink.yield(.movedIntoSpace(node: n, file: key))
                    } catch let error as FTPClientError where error.replyCode == 550 {
                        moved.insert(n)  // not at the top level any more: moved by an earlier run, or lost (repair sees)
                    } catch {
                        self.logger.warning("a replica could not be moved into its space", metadata: [
                            "node": "\(n)", "file": "\(key)", "error": "\(error)"])
                    }
                }
                guard !moved.isEmpty else { return }
                let left = (self.moves[key] ?? []).subtracting(moved)
                self.moves[key] = left.isEmpty ? nil : left
                do {
                    try self.store?.setMoves(key, nodes: left)
                } catch {
                    self.logger.error("the catalog could not record a move", metadata: ["file": "\(key)", "error": "\(error)"])
                }
            }
        }
    }

    /// Records what the nodes hold but the catalog does not know (files put there by other means, or a lost
    /// catalog): every space directory found on a node, and its files. Their checksums come from the nodes' HASH
    /// when a download needs one.
    public func rebuildCatalog() async throws {
        var spaces = Set(self.spaces)
        for node in self.nodes {
            guard let entries = try? await node.withClient({ try await $0.list(node.configuration.directory) }) else { continue }
            for e in entries where !e.isFile { if let space = Space(e.name) { spaces.insert(space) } }
        }
        for space in spaces.sorted() {
            for file in try await self.list(in: space).files where self.file(file.key) == nil {
                var found = file
                found.version = ClusterCatalog.newVersion()
                self.setFile(file.key, found)
                try self.store?.save(found)
            }
        }
    }
}
