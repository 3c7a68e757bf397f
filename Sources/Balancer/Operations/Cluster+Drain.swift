import FTPKit
import Foundation

extension Cluster {
    /// Takes a node out of service without losing a replica: marks it draining (in the catalog, so every process
    /// sharing it stops placing files there), copies each of its replicas to another node chosen by the strategy
    /// (from the drained node itself or another holder), records the new holder and removes the drained copy.
    /// Safe to interrupt (cancel the calling task: it stops between files) and run again; ``undrain(_:)`` puts the
    /// node back in service.
    public func drain(
        _ name: String, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(ClusterError) -> OperationReport {
        guard self.node(name) != nil else { throw ClusterError(.invalidConfiguration, "there is no node named '\(name)'") }
        await self.syncCatalog()
        if !self.draining.contains(name) {
            self.draining.insert(name)
            try await self.store?.apply([.setDraining(name, true)])
            // Read again after the mark: a commit another process made before it is in the first pass, and one
            // made after it was preceded by its uploader reading the mark (leavingDrainedNodes).
            await self.syncCatalog()
        }
        var keys = self.keys(onNode: name)
        progress("draining \(name): \(keys.count) files hold a replica there")
        var report = OperationReport()
        var tried: Set<FileKey> = []
        // Passes until one finds nothing new: an upload placed on the node before the mark was seen (here, or in
        // another process sharing the catalog) may commit while a pass runs. One committing after the last pass
        // read the catalog sees the mark itself and moves its replica off (``leavingDrainedNodes(_:)``).
        while !keys.isEmpty {
            tried.formUnion(keys)
            let pass = await self.forEachFile(keys, progress: progress) { cluster, key, step in
                await cluster.moveReplica(of: key, off: name, into: &step, progress: progress)
            }
            report.add(pass)
            if pass.interrupted {
                report.interrupted = true
                break
            }
            await self.syncCatalog()
            keys = self.keys(onNode: name).filter { !tried.contains($0) }
        }
        // The node stays marked either way; an operator who sees only problems must not think it is back in use.
        let left = self.everyFile.filter { $0.nodes.contains(name) }.count
        if left > 0 && !report.interrupted {
            progress("\(name) stays drained: nothing new goes there, and \(left) files still have a replica on it; "
                + "drain it again once another node can take them, or undrain it")
        }
        return report
    }

    /// The files with a replica on `node`, in order.
    private func keys(onNode node: String) -> [FileKey] {
        self.everyFile.filter { $0.nodes.contains(node) }.map(\.key).sorted()
    }

    /// One file's part of a drain, under the file's lock: its replica on `name` copied to another node when the
    /// others would fall short of the replica count, recorded, and removed from `name`.
    func moveReplica(
        of key: FileKey, off name: String, into step: inout OperationReport, progress: (String) -> Void
    ) async {
        guard let file = self.file(key), file.nodes.contains(name) else { return }
        let others = file.nodes.filter { $0 != name }
        var holders = others
        if others.count < self.replicas {
            guard let target = await self.copyToNewHolder(file, preferring: others + [name], avoiding: Set(file.nodes)) else {
                step.problems.append("\(key): no other node could take a copy")
                progress("\(key): no other node could take a copy; it stays on \(name)")
                return
            }
            holders.append(target)
            step.copied += 1
        }
        if await self.replaceHolders(of: file, with: holders, removing: name, why: "drained") { step.removed += 1 }
        progress("\(key): now on \(holders.sorted().joined(separator: ", "))")
    }

    /// A file an upload just committed, checked against the drain marks as the catalog has them now: a replica
    /// the upload placed on a node before it was marked draining (in this process or another sharing the catalog)
    /// is moved off at once, since the drain may have finished its passes before the commit. Called after the
    /// commit is recorded, so a drain that marks the node after this check reads the commit in its next pass.
    func leavingDrainedNodes(_ file: ClusterFile) async -> ClusterFile {
        await self.syncCatalog()
        let drained = file.nodes.filter { self.draining.contains($0) }
        guard !drained.isEmpty else { return file }
        let logger = self.logger
        for name in drained {
            var step = OperationReport()
            await self.withFileLock(file.key) {
                await self.moveReplica(of: file.key, off: name, into: &step) { line in
                    logger.notice("an upload placed before its node was drained moved off it", metadata: [
                        "node": "\(name)", "change": "\(line)"])
                }
            }
        }
        return self.file(file.key) ?? file
    }

    /// Runs an operator command's `step` on each file in turn, under the file's lock. An interrupt (the calling
    /// task cancelled) takes effect between files: the report says so on `progress` and returns.
    func forEachFile(
        _ keys: [FileKey], progress: @escaping @Sendable (String) -> Void,
        _ step: @escaping @Sendable (isolated Cluster, FileKey, inout OperationReport) async -> Void
    ) async -> OperationReport {
        var report = OperationReport()
        for (done, key) in keys.enumerated() {
            if Task.isCancelled {
                report.interrupt(after: "\(done) of \(keys.count) files", progress)
                return report
            }
            report.add(await self.wholeStep { cluster in
                var outcome = OperationReport()
                outcome.examined = 1
                await cluster.withFileLock(key) { await step(cluster, key, &outcome) }
                return outcome
            })
        }
        return report
    }

    /// Runs one file's step of an operator command in a task of its own, which an interrupt (the command's task
    /// being cancelled) does not reach: the copy, its catalog record and the removal finish together, and the
    /// command stops before the next file.
    func wholeStep(_ step: @escaping @Sendable (isolated Cluster) async -> OperationReport) async -> OperationReport {
        await Task { await step(self) }.value
    }

    /// Puts a drained node back in service: new files may be placed on it again.
    public func undrain(_ name: String) async throws(ClusterError) {
        guard self.node(name) != nil else { throw ClusterError(.invalidConfiguration, "there is no node named '\(name)'") }
        self.draining.remove(name)
        try await self.store?.apply([.setDraining(name, false)])
    }

    /// Copies a file to the best-ranked node that may take new data and holds no copy yet; returns that node.
    /// Sources are tried in `preferring` order (available ones first).
    func copyToNewHolder(_ file: ClusterFile, preferring sources: [String], avoiding: Set<String>) async -> String? {
        let loads = await self.placeableLoads(excluding: avoiding)
        let candidates = self.strategy.rank(PlacementRequest(fileName: file.key.description, size: file.size, replicas: 1), nodes: loads)
        var ordered: [String] = []
        for source in sources { if await self.node(source)?.isAvailable() == true { ordered.append(source) } }
        for candidate in candidates {
            for source in ordered where await self.copy(file.key, size: file.size, from: source, to: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Records that `file` is now held by `holders`, then removes the replica on `removed` (a copy that cannot be
    /// removed now is left as a pending deletion). True when the replica is gone.
    func replaceHolders(of file: ClusterFile, with holders: [String], removing removed: String, why: String) async -> Bool {
        var updated = file
        updated.nodes = holders.sorted()
        let key = file.key
        self.setFile(key, updated)
        var changes: [CatalogChange] = [.save(updated)]
        var gone = false
        if let node = self.node(removed), await self.removeReplica(key.name, in: self.place(of: key, on: removed), on: node, why: why) {
            await node.account(addedBytes: -Int64(file.size))
            gone = true
        } else {
            self.tombstones[key, default: []].insert(removed)
            changes.append(.setTombstones(key, self.tombstones[key] ?? []))
        }
        do {
            try await self.store?.apply(changes)
        } catch {
            self.logger.error("the catalog could not record a moved replica", metadata: [
                "file": "\(key)", "node": "\(removed)", "error": "\(error)"])
        }
        return gone
    }
}
