/// What changed in a shared catalog since a sequence number: the current state of every file whose record,
/// pending deletions or pending moves were written since (by any process, this one included).
public struct CatalogDelta: Sendable, Hashable {
    /// The catalog's sequence number this delta brings a reader up to.
    public var sequence: Int64
    /// Every changed key, with its file now (`nil`: no longer in the catalog).
    public var files: [FileKey: ClusterFile?]
    /// Every changed key's pending deletions now (empty: none).
    public var tombstones: [FileKey: Set<String>]
    /// Every changed key's pending moves now (empty: none).
    public var moves: [FileKey: Set<String>]
    /// The nodes being drained now (`nil`: unchanged).
    public var draining: Set<String>?

    /// A delta up to `sequence`; only what changed is given.
    public init(sequence: Int64, files: [FileKey: ClusterFile?] = [:], tombstones: [FileKey: Set<String>] = [:],
                moves: [FileKey: Set<String>] = [:]) {
        self.sequence = sequence
        self.files = files
        self.tombstones = tombstones
        self.moves = moves
    }
}
