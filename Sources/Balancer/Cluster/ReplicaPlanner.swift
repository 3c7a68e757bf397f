/// The cluster's decisions about replicas, as pure functions of what the catalog and the nodes said: where an upload
/// streams to, what it may commit and what it leaves to clean up, what becomes of an older version's copies, what a
/// repair copies, and what a delete leaves as pending work. ``Cluster`` carries the plans out (transfers, renames,
/// deletions, catalog writes) and hands the results back for the next decision; nothing here awaits.
package struct ReplicaPlanner: Sendable, Hashable {
    /// Copies every file must have.
    package var replicas: Int

    package init(replicas: Int) { self.replicas = max(1, replicas) }

    // MARK: - Upload

    package struct UploadPlan: Sendable, Hashable {
        /// Nodes that receive the stream at once, best first.
        package var targets: [String]
        /// The rest of the ranking, in order: copy targets when a stream target fails.
        package var spares: [String]
    }

    /// The first `replicas` nodes of the strategy's ranking stream the upload; `nil` when no node is available.
    package func upload(ranking: [String]) -> UploadPlan? {
        guard !ranking.isEmpty else { return nil }
        return UploadPlan(targets: Array(ranking.prefix(self.replicas)), spares: Array(ranking.dropFirst(self.replicas)))
    }

    /// How many more complete copies an upload (or a repair) needs once `ready` nodes hold one.
    package func shortfall(ready: Int) -> Int { max(0, self.replicas - ready) }

    /// All or nothing: every complete copy is committed once there are enough of them, none before, so a failed
    /// upload never replaced an older version anywhere.
    package func commit(ready: [String]) -> [String] {
        ready.count >= self.replicas ? ready : []
    }

    /// Temporary copies to remove after the commit: every node written to that did not end up committed.
    package func leftovers(written: [String], committed: [String]) -> [String] {
        var seen = Set(committed)
        return written.filter { seen.insert($0).inserted }
    }

    // MARK: - A new version recorded

    package struct StaleCopies: Sendable, Hashable {
        /// Replicas of the previous version on nodes the new one is not on: removed now.
        package var remove: [String]
        /// Deletions still pending for the name that stay pending (on nodes the new version is not on).
        package var stillPending: Set<String>
    }

    /// What a committed version leaves of the previous one: its copies on other nodes go, and pending deletions
    /// of the name only apply where the new version is not.
    package func stale(previous: [String], pendingDeletions: Set<String>, newHolders: [String]) -> StaleCopies {
        let holders = Set(newHolders)
        return StaleCopies(
            remove: Set(previous).subtracting(holders).sorted(), stillPending: pendingDeletions.subtracting(holders))
    }

    // MARK: - Repair

    package struct RepairPlan: Sendable, Hashable {
        /// The node copied from.
        package var source: String
        /// Copies to make.
        package var missing: Int
        /// Nodes that already hold (or may still hold) a copy: never chosen as targets.
        package var exclude: Set<String>
        /// The nodes recorded after the repair, before the new copies are added.
        package var kept: Set<String>
    }

    /// What one file's repair does: replicas found on nodes (plus ones a pending move still places elsewhere) count,
    /// and so do replicas on unreachable nodes (away, not lost). `nil` when nothing is missing or no copy is left.
    package func repair(recorded: [String], found: Set<String>, moving: Set<String>, unreachable: Set<String>)
        -> RepairPlan?
    {
        let present = found.intersection(recorded).union(moving)
        let away = Set(recorded).subtracting(present).intersection(unreachable)
        let missing = self.replicas - present.count - away.count
        guard missing > 0, let source = present.min() else { return nil }
        return RepairPlan(source: source, missing: missing, exclude: present.union(away), kept: present.union(away))
    }

    // MARK: - Delete

    /// What a delete leaves, once every node was asked to remove its copy: the nodes that could not be asked, whose
    /// copies go when they answer again (their tombstones). `nil` when there was nothing to delete: a file the
    /// catalog does not record and no node had (one only on a node that could not be asked is not known to exist).
    package func deletionLeftovers(recorded: Bool, removed: Set<String>, unasked: Set<String>) -> Set<String>? {
        guard recorded || !removed.isEmpty else { return nil }
        return unasked
    }
}
