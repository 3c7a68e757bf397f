/// One change to a catalog.
public enum CatalogChange: Sendable, Hashable {
    /// Records a file (replacing what the catalog held under its key).
    case save(ClusterFile)
    /// Forgets a file.
    case remove(FileKey)
    /// The nodes that still hold a deleted copy of a file (empty: none).
    case setTombstones(FileKey, Set<String>)
    /// The nodes whose replica of a file still lies outside its space (empty: none).
    case setMoves(FileKey, Set<String>)
    /// Whether a node is being drained: nothing new is placed on it (``Cluster/drain(_:progress:)``).
    case setDraining(String, Bool)
}

extension CatalogChange {
    /// The file the change is about (a node's draining state is about no file: the top level's empty name).
    public var key: FileKey {
        switch self {
        case .save(let file): file.key
        case .remove(let key), .setTombstones(let key, _), .setMoves(let key, _): key
        case .setDraining: FileKey(.topLevel, "")
        }
    }
}
