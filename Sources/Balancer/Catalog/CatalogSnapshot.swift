import FTPKit
import Foundation

/// Everything a catalog holds, as the cluster keeps it in memory.
public struct CatalogSnapshot: Sendable, Hashable {
    /// Every live file, by space and name.
    public var files: [FileKey: ClusterFile]
    /// Deletions not yet applied to a node that was down: file → nodes still holding a copy.
    public var tombstones: [FileKey: Set<String>]
    /// Replicas still at the top level of a node's directory (from before spaces): file → nodes to move it on.
    public var moves: [FileKey: Set<String>]
    /// Nodes being drained: nothing new is placed on them.
    public var draining: Set<String> = []
    /// Where the store's change feed stood when this was read (``CatalogStore/changes(since:)``); 0 for a store
    /// without one. Not part of ``checksum``.
    public var sequence: Int64

    /// A snapshot of these rows.
    public init(
        files: [FileKey: ClusterFile] = [:], tombstones: [FileKey: Set<String>] = [:], moves: [FileKey: Set<String>] = [:],
        sequence: Int64 = 0
    ) {
        self.files = files
        self.tombstones = tombstones
        self.moves = moves
        self.sequence = sequence
    }

    /// Whether the catalog holds nothing at all (a new store).
    public var isEmpty: Bool { self.files.isEmpty && self.tombstones.isEmpty && self.moves.isEmpty && self.draining.isEmpty }

    /// The changes that write this snapshot into an empty store.
    public var changes: [CatalogChange] {
        self.files.keys.sorted().map { .save(self.files[$0]!) }
            + self.tombstones.keys.sorted().map { .setTombstones($0, self.tombstones[$0]!) }
            + self.moves.keys.sorted().map { .setMoves($0, self.moves[$0]!) }
            + self.draining.sorted().map { .setDraining($0, true) }
    }
}

extension CatalogSnapshot {
    /// How many rows of each kind the snapshot holds: compared after a copy between stores.
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        /// Live files.
        public var files: Int
        /// Deleted files whose replicas are still being removed.
        public var tombstones: Int
        /// Replica moves under way (drain, rebalance).
        public var moves: Int

        /// Counts of each kind.
        public init(files: Int, tombstones: Int, moves: Int) {
            self.files = files
            self.tombstones = tombstones
            self.moves = moves
        }

        public var description: String { "\(self.files) files, \(self.tombstones) pending deletions, \(self.moves) pending moves" }
    }

    /// How many rows of each kind this snapshot holds.
    public var counts: Counts {
        Counts(files: self.files.count, tombstones: self.tombstones.values.map(\.count).reduce(0, +),
               moves: self.moves.values.map(\.count).reduce(0, +))
    }

    /// A SHA-256 of everything the snapshot holds, in a canonical order and encoding: two stores with the same
    /// checksum hold the same catalog. (Upload times count to the millisecond, the precision both stores keep.)
    public var checksum: String {
        let digest = Digest(.sha256)
        func field(_ s: String) {
            // Length-prefixed, so no choice of names can make two different catalogs encode alike.
            let bytes = Array(s.utf8)
            var length = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { digest.update($0) }
            bytes.withUnsafeBytes { digest.update($0) }
        }
        for key in self.files.keys.sorted() {
            let f = self.files[key]!
            field("file")
            field(f.space.name); field(f.name); field(String(f.size)); field(f.sha256 ?? "-"); field(f.uploader ?? "-")
            field(f.uploadedAt.flatMap { Int64(exactly: ($0.timeIntervalSince1970 * 1000).rounded()) }.map { String($0) } ?? "-")
            field(f.nodes.joined(separator: "\n")); field(f.version); field(f.crc32c.map { String($0) } ?? "-")
        }
        for (kind, table) in [("tombstone", self.tombstones), ("move", self.moves)] {
            for key in table.keys.sorted() {
                for node in table[key]!.sorted() {
                    field(kind); field(key.space.name); field(key.name); field(node)
                }
            }
        }
        for node in self.draining.sorted() {
            field("draining"); field(node)
        }
        return digest.finalizeHex()
    }
}
