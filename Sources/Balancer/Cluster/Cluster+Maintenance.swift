import FTPKit
import Foundation

extension Cluster {
    /// Gives every known file its required replica count back, copying from a node that has it to the next
    /// nodes of the strategy's ranking. Files on unreachable nodes count as present (they are not lost, only away).
    /// Reports files on nodes that the catalog does not know.
    public func repair() async {
        await self.repair(self.spaces)
    }

    /// ``repair()`` for the next `count` spaces after those the last call audited, in name order and wrapping
    /// around (``SpaceRotation``), so that a call's listings stay bounded however many spaces there are; calls
    /// enough times, every space is audited.
    public func repair(spaces count: Int) async {
        let chosen = SpaceRotation.next(after: self.lastAudited, in: self.spaces, count: count)
        // Taken before the first await, so that a call arriving meanwhile goes on with the spaces after these.
        if let last = chosen.last { self.lastAudited = last }
        await self.repair(chosen)
    }

    private func repair(_ spaces: [Space]) async {
        for space in spaces {
            let (holders, unreachable, parts) = await self.scan(space)
            await self.removeAbandoned(parts, in: space)
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

    /// Removes temporary uploads that no upload of this cluster is writing and that nobody has touched for
    /// ``abandonedPartAge`` (left by a process killed mid-upload, or by a node that failed before its rename), and
    /// logs each one. A part without a modification time in the listing is kept: its age is unknown.
    private func removeAbandoned(_ parts: [TemporaryPart], in space: Space, now: Date = Date()) async {
        for part in parts where !self.partsInFlight.contains(FileKey(space, part.name)) {
            guard let modified = part.modified, now.timeIntervalSince(modified) >= self.abandonedPartAge,
                let node = self.node(part.node)
            else { continue }
            if await self.removeReplica(part.name, in: space, on: node, why: "abandoned temporary upload") {
                self.logger.notice("removed an abandoned temporary upload", metadata: [
                    "node": "\(part.node)", "file": "\(FileKey(space, part.name))"])
                self.eventSink.yield(.removedAbandonedUpload(node: part.node, file: FileKey(space, part.name)))
            }
        }
    }

    /// One file, under its lock: the catalog entry is read again there, so a file deleted or replaced since the
    /// scan is left alone.
    private func repair(_ key: FileKey, present scanned: Set<String>, unreachable: [String]) async {
        await self.withFileLock(key) {
            guard let file = self.file(key),
                let plan = self.planner.repair(
                    recorded: file.nodes, found: scanned, moving: self.moves[key] ?? [], unreachable: Set(unreachable))
            else { return }
            let missing = plan.missing
            let loads = await self.placeableLoads(excluding: plan.exclude)
            let candidates = self.strategy.rank(
                PlacementRequest(fileName: key.description, size: file.size, replicas: missing), nodes: loads)
            var restored: [String] = []
            for candidate in candidates where restored.count < missing {
                if await self.copy(key, size: file.size, from: plan.source, to: candidate) { restored.append(candidate) }
            }
            var updated = file
            updated.nodes = plan.kept.union(restored).sorted()
            self.setFile(key, updated)
            do {
                try await self.store?.apply([.save(updated)])
            } catch {
                self.logger.error("the catalog could not record a repair", metadata: ["file": "\(key)", "error": "\(error)"])
            }
            self.eventSink.yield(.repaired(file: key, missing: missing, restored: restored.count))
        }
    }

    /// Work left on nodes that were down: deletions they missed, and moves of replicas from before spaces.
    enum PendingWork {
        case deletion, move
    }

    private func pending(_ kind: PendingWork) -> [FileKey: Set<String>] {
        switch kind {
        case .deletion: self.tombstones
        case .move: self.moves
        }
    }

    /// Records what is left of one file's pending work, in memory and in the catalog (logged if the catalog fails;
    /// the work is then tried again on the next refresh).
    private func setPending(_ kind: PendingWork, _ key: FileKey, _ nodes: Set<String>) async {
        let value = nodes.isEmpty ? nil : nodes
        do {
            switch kind {
            case .deletion:
                self.tombstones[key] = value
                try await self.store?.apply([.setTombstones(key, nodes)])
            case .move:
                self.moves[key] = value
                try await self.store?.apply([.setMoves(key, nodes)])
            }
        } catch {
            self.logger.error("the catalog could not record pending work", metadata: [
                "file": "\(key)", "work": "\(kind)", "error": "\(error)"])
        }
    }

    /// Carries out `kind` on every node that answers, one file at a time under its lock; `act` says whether the
    /// node is done with the file.
    private func applyPending(_ kind: PendingWork, _ act: (FileKey, ClusterNode) async -> Bool) async {
        for key in self.pending(kind).keys.sorted() {
            await self.withFileLock(key) {
                guard let nodes = self.pending(kind)[key] else { return }
                var done = Set<String>()
                for n in nodes {
                    guard let node = self.node(n), await node.isAvailable(), await act(key, node) else { continue }
                    done.insert(n)
                }
                if !done.isEmpty { await self.setPending(kind, key, (self.pending(kind)[key] ?? []).subtracting(done)) }
            }
        }
    }

    /// Applies deletions that a node missed while it was down.
    func applyTombstones() async {
        await self.applyPending(.deletion) { key, node in
            guard await self.removeReplica(key.name, in: key.space, on: node, why: "pending deletion") else { return false }
            self.eventSink.yield(.reconciled(node: node.name, removed: [key]))
            return true
        }
    }

    /// Moves replicas from before spaces into their space's directory on nodes that answer.
    func applyMoves() async {
        await self.applyPending(.move) { key, node in
            do {
                try await node.withClient { client in
                    await node.ensureDirectory(key.space, client: client)
                    try await client.rename(node.path(key.name, in: .topLevel), to: node.path(key.name, in: key.space))
                }
                self.eventSink.yield(.movedIntoSpace(node: node.name, file: key))
                return true
            } catch let error as FTPClientError where error.replyCode == 550 {
                return true  // not at the top level any more: moved by an earlier run, or lost (repair sees)
            } catch {
                self.logger.warning("a replica could not be moved into its space", metadata: [
                    "node": "\(node.name)", "file": "\(key)", "error": "\(error)"])
                return false
            }
        }
    }

    /// Records what the nodes hold but the catalog does not know (files put there by other means, or a lost
    /// catalog): every space directory found on a node, and its files. Their checksums come from the nodes' HASH
    /// when a download needs one.
    public func rebuildCatalog() async throws {
        var spaces = Set(self.spaces)
        for node in self.nodes {
            let entries: [FTPListEntry]
            do {
                entries = try await node.withClient(idempotent: true) { try await $0.list(node.configuration.directory) }
            } catch {
                // The other nodes still count; this one's spaces are found when it answers again.
                self.logger.warning("a node could not be listed while rebuilding the catalog", metadata: [
                    "node": "\(node.name)", "error": "\(error)",
                ])
                continue
            }
            // A space is a directory (or a link to one); a file, FIFO or device named like one is not.
            for e in entries {
                switch e.kind {
                case .directory, .symbolicLink: if let space = Space(e.name) { spaces.insert(space) }
                case .file, .other, .unparsed: continue
                }
            }
        }
        for space in spaces.sorted() {
            for file in try await self.list(in: space).files where self.file(file.key) == nil {
                var found = file
                found.version = FileVersion.make()
                self.setFile(file.key, found)
                try await self.store?.apply([.save(found)])
            }
        }
    }
}
