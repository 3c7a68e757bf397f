/// Least stored bytes first (the original "least loaded"). Ties go to the node id, so the answer is stable.
public struct LeastUsedBytes: PlacementStrategy {
    public init() {}
    public var name: String { "least-used" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        nodes.filter(\.isHealthy).sorted { ($0.usedBytes, $0.id) < ($1.usedBytes, $1.id) }.map(\.id)
    }
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        smallest(request.replicas, of: nodes) { $0.usedBytes }
    }
}
