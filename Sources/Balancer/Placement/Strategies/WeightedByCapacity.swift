/// Lowest fill relative to configured capacity (weight) after adding the file: bigger nodes take more.
public struct WeightedByCapacity: PlacementStrategy {
    public init() {}
    public var name: String { "weighted" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        nodes.filter(\.isHealthy).map { n in
            (n.id, Double(n.usedBytes + request.size) / n.weight)
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
    }
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        smallest(request.replicas, of: nodes) { Double($0.usedBytes + request.size) / $0.weight }
    }
}
