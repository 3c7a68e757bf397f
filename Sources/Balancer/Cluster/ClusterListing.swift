/// A merged listing of one space: every file with the nodes that hold it, and the nodes that could not be asked.
public struct ClusterListing: Sendable, Hashable {
    /// The files, sorted by name.
    public var files: [ClusterFile]
    /// Nodes that did not answer: files only they hold are missing from `files`, and replica counts may be low.
    public var unreachableNodes: [String]
}
