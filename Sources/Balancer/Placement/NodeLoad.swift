/// What a placement strategy knows about one node at the moment of a decision.
public struct NodeLoad: Sendable, Hashable, Identifiable {
    /// A stable name for the node (its configured name): hashing strategies depend on it.
    public var id: String
    /// Bytes stored on the node.
    public var usedBytes: UInt64
    /// Bytes still free, when the node reports them (AVBL); `nil` when unknown.
    public var freeBytes: UInt64?
    /// Transfers running on the node now.
    public var activeTransfers: Int
    /// Relative capacity (configured); larger nodes take proportionally more.
    public var weight: Double
    /// Unhealthy nodes are never chosen.
    public var isHealthy: Bool

    /// A node's figures at this moment.
    public init(
        id: String, usedBytes: UInt64 = 0, freeBytes: UInt64? = nil, activeTransfers: Int = 0, weight: Double = 1,
        isHealthy: Bool = true
    ) {
        self.id = id
        self.usedBytes = usedBytes
        self.freeBytes = freeBytes
        self.activeTransfers = activeTransfers
        self.weight = weight > 0 ? weight : 1
        self.isHealthy = isHealthy
    }
}
