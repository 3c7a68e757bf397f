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

/// Chooses nodes for a file. Implementations are pure: the same request and nodes give the same answer.
public protocol PlacementStrategy: Sendable {
    /// A short name for configuration and reports (`least-used`, `rendezvous`…).
    var name: String { get }
    /// Distinct healthy node ids in order of preference: the first `request.replicas` are the targets, the rest
    /// are fallbacks if a target fails mid-upload. Fewer when fewer nodes are healthy.
    func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String]
    /// The targets: the first `request.replicas` of ``rank(_:nodes:)``. Strategies may answer this faster than
    /// a full ranking (it is on every upload's path).
    func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String]
}

extension PlacementStrategy {
    /// The first `request.replicas` nodes of ``rank(_:nodes:)`` (fewer when fewer nodes are healthy).
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        Array(self.rank(request, nodes: nodes).prefix(request.replicas))
    }
}

/// The `k` healthy nodes with the smallest keys, in order, in one pass without sorting the whole list.
func smallest<Key: Comparable>(_ k: Int, of nodes: [NodeLoad], where include: (NodeLoad) -> Bool = { _ in true },
    by key: (NodeLoad) -> Key) -> [String]
{
    var best: [(Key, Int)] = []
    best.reserveCapacity(k + 1)
    for (i, n) in nodes.enumerated() where n.isHealthy && include(n) {
        let entry = (key(n), i)
        if best.count == k, let last = best.last, !(entry.0 < last.0 || (entry.0 == last.0 && n.id < nodes[last.1].id)) {
            continue
        }
        var j = best.count
        best.append(entry)
        while j > 0, entry.0 < best[j - 1].0 || (entry.0 == best[j - 1].0 && n.id < nodes[best[j - 1].1].id) {
            best[j] = best[j - 1]
            j -= 1
        }
        best[j] = entry
        if best.count > k { best.removeLast() }
    }
    return best.map { nodes[$0.1].id }
}
