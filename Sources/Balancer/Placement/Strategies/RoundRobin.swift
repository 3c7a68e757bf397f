/// Each placement starts one node further along the list of healthy nodes (in the order given, which callers keep
/// stable, e.g. the configuration's order).
public struct RoundRobin: PlacementStrategy {
    public init() {}
    public var name: String { "round-robin" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        self.pick(request, nodes: nodes, count: nodes.count)
    }
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        self.pick(request, nodes: nodes, count: request.replicas)
    }
    private func pick(_ request: PlacementRequest, nodes: [NodeLoad], count: Int) -> [String] {
        var healthy = 0
        for n in nodes where n.isHealthy { healthy += 1 }
        guard healthy > 0 else { return [] }
        let start = Int(request.sequence % UInt64(healthy))
        var out: [String] = []
        out.reserveCapacity(min(count, healthy))
        var seen = 0
        // Two passes over the healthy nodes: from `start` to the end, then from the beginning.
        for pass in 0..<2 {
            var k = 0
            for n in nodes where n.isHealthy {
                defer { k += 1 }
                guard (pass == 0 && k >= start) || (pass == 1 && k < start) else { continue }
                guard out.count < count else { return out }
                out.append(n.id)
                seen += 1
            }
        }
        return out
    }
}
