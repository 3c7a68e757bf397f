/// One placement question: where should `replicas` copies of this file go?
public struct PlacementRequest: Sendable, Hashable {
    /// The file's name (strategies that hash names, such as rendezvous, use it).
    public var fileName: String
    /// The file's size in bytes (0 when unknown).
    public var size: UInt64
    /// How many distinct nodes should hold a copy.
    public var replicas: Int
    /// A number that changes with every placement (the catalog's upload counter): round robin and the random
    /// choices derive from it, so a decision is a pure function of its inputs and can be replayed.
    public var sequence: UInt64

    /// A request to place `replicas` copies of a file.
    public init(fileName: String, size: UInt64, replicas: Int = 1, sequence: UInt64 = 0) {
        self.fileName = fileName
        self.size = size
        self.replicas = max(1, replicas)
        self.sequence = sequence
    }
}
