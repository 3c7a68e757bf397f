import FTPKit
import Foundation

extension Cluster {
    /// Takes a node out of service without losing a replica: marks it draining (in the catalog, so every process
    /// sharing it stops placing files there), copies each of its replicas to another node chosen by the strategy
    /// (from the drained node itself or another holder), records the new holder and removes the drained copy.
    /// Safe to interrupt and run again; ``undrain(_:)`` puts the node back in service.
    public func drain(_ name: String, progress: @Sendable (String) -> Void = { _ in }) async throws(ClusterError) -> OperationReport {
        guard self.node(name) != nil else { throw ClusterError(.invalidConfiguration, "there is no node named '\(name)'") }
        await self.syncCatalog()
        if !self.draining.contains(name) {
            self.draining.insert(name)
            try await self.store?.apply([.setDraining(name, true)])
        }
        var report = OperationReport()
        let keys = self.everyFile.filter { $0.nodes.contains(name) }.map(\.key).sorted()
        progress("draining \(name): \(keys.count) files hold a replica there")
        for key in keys {
            report.examined += 1
            await self.withFileLock(key) {
                guard let file = self.file(key), file.nodes.contains(name) else { return }
                let others = file.nodes.filter { $0 != name }
                var holders = others
                if others.count < self.replicas {
                    guard let target = await self.copyToNewHolder(file, preferring: others + [name], avoiding: Set(file.nodes)) else {
                        report.problems.append("\(key): no other node could take a copy")
                        progress("\(key): no other node could take a copy; it stays on \(name)")
                        return
                    }
                    holders.append(target)
                    report.copied += 1
                }
                if await self.replaceHolders(of: file, with: holders, removing: name, why: "drained") { report.removed += 1 }
                progress("\(key): now on \(holders.sorted().joined(separator: ", "))")
            }
        }
        return report
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
