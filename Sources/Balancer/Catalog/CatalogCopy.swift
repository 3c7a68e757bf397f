/// Copies a whole catalog from one store to another (`ftpbot catalog migrate`), then proves the copy: the target
/// is read back and must hold the same counts and the same ``CatalogSnapshot/checksum`` as the source.
public enum CatalogCopy {
    /// What a copy wrote, as read back from the target.
    public struct Report: Sendable, Hashable {
        /// Rows of each kind in the target after the copy.
        public var counts: CatalogSnapshot.Counts
        /// The target's ``CatalogSnapshot/checksum``, equal to the source's.
        public var checksum: String
    }

    /// Copies `source` into `target`, which must be empty (a copy never merges two catalogs). One transaction:
    /// an interrupted copy leaves the target empty.
    public static func run(from source: any CatalogStore, to target: any CatalogStore) async throws(ClusterError) -> Report {
        let snapshot = try await source.load()
        let existing = try await target.load()
        guard existing.isEmpty else {
            throw ClusterError(.invalidConfiguration,
                "the target catalog \(target.location) is not empty (\(existing.counts)): a copy never merges catalogs")
        }
        try await target.apply(snapshot.changes)
        let copied = try await target.load()
        guard copied.counts == snapshot.counts, copied.checksum == snapshot.checksum else {
            throw ClusterError(.catalogUnavailable,
                "the copy in \(target.location) does not match the source: \(copied.counts) against \(snapshot.counts)")
        }
        return Report(counts: snapshot.counts, checksum: snapshot.checksum)
    }
}
