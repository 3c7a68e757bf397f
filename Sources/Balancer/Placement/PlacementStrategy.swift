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
