import FTPKit

extension Cluster {
    /// Moves replicas from the most-used node to the least-used one until the most-used is within `tolerance`
    /// (10%) of the mean — after a node is added, say. Only nodes in service that answer take part; bytes count
    /// from the catalog. Each move is a copy, a catalog record and a removal, finished together, so the command is
    /// safe to interrupt (it stops between moves) and run again.
    public func rebalance(
        tolerance: Double = 0.10, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async -> OperationReport {
        await self.syncCatalog()
        var report = OperationReport()
        var stuck: Set<FileKey> = []
        // Every move narrows the gap between the most- and least-used node, so this ends; the bound is a guard.
        let bound = self.everyFile.count * self.replicas * 4 + 16
        for moves in 0..<bound {
            if Task.isCancelled {
                report.interrupt(after: "\(moves) moves", progress)
                return report
            }
            var participants: [String] = []
            for node in self.nodes where !self.draining.contains(node.name) {
                if await node.isAvailable() { participants.append(node.name) }
            }
            guard participants.count >= 2 else {
                report.problems.append("fewer than two nodes in service answer: nothing to balance")
                return report
            }
            var used = Dictionary(uniqueKeysWithValues: participants.map { ($0, UInt64(0)) })
            for file in self.everyFile {
                for n in file.nodes where used[n] != nil { used[n] = used[n]!.addingClamped(file.size) }
            }
            let mean = used.values.reduce(0.0) { $0 + Double($1) } / Double(participants.count)
            let ordered = participants.sorted { (used[$0]!, $0) < (used[$1]!, $1) }
            let least = ordered.first!, most = ordered.last!
            guard Double(used[most]!) > mean * (1 + tolerance) else {
                progress("balanced: the most-used node holds \(used[most]!) bytes, the mean is \(Int(mean))")
                return report
            }
            // Only a move that narrows the gap between the two helps (else a lone big file would bounce between
            // nodes forever): the largest file smaller than the gap, which brings the two closest together.
            let gap = used[most]! - used[least]!
            let movable = self.everyFile
                .filter { $0.nodes.contains(most) && !$0.nodes.contains(least) && !stuck.contains($0.key) && $0.size > 0 && $0.size < gap }
            guard let file = movable.max(by: { ($0.size, $0.key) < ($1.size, $1.key) }) else {
                progress("as balanced as the files' sizes allow: \(most) holds \(used[most]!) bytes, the mean is \(Int(mean))")
                return report
            }
            let step = await self.wholeStep { cluster in
                var step = OperationReport()
                step.examined = 1
                await cluster.withFileLock(file.key) {
                    guard let current = cluster.file(file.key), current.nodes.contains(most), !current.nodes.contains(least) else { return }
                    guard await cluster.copy(file.key, size: current.size, from: most, to: least) else {
                        step.problems.append("\(file.key) could not be copied from \(most) to \(least)")
                        return
                    }
                    step.copied += 1
                    let holders = current.nodes.filter { $0 != most } + [least]
                    if await cluster.replaceHolders(of: current, with: holders, removing: most, why: "rebalanced") { step.removed += 1 }
                    progress("\(file.key): moved from \(most) to \(least)")
                }
                return step
            }
            report.add(step)
            if !step.problems.isEmpty {
                stuck.insert(file.key)
            }
        }
        report.problems.append("rebalancing did not settle after \(bound) moves")
        return report
    }
}
