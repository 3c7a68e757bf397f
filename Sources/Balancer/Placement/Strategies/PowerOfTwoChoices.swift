/// Power of two random choices: two candidates drawn (deterministically, from the request) and the one whose
/// load (bytes ÷ weight, counting the new file) would be lower first. Nearly as even as least-used, without every
/// uploader piling on the same node between load refreshes.
public struct PowerOfTwoChoices: PlacementStrategy {
    public init() {}
    public var name: String { "power-of-two" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        self.choose(request, nodes: nodes, count: .max)
    }

    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        self.choose(request, nodes: nodes, count: request.replicas)
    }

    private func choose(_ request: PlacementRequest, nodes: [NodeLoad], count: Int) -> [String] {
        // Candidates are drawn by position in the node list as given (callers keep it in a stable order).
        var remaining = nodes.filter(\.isHealthy)
        guard remaining.count > 1 else { return remaining.map(\.id) }
        var order: [String] = []
        order.reserveCapacity(min(count, remaining.count))
        var state = Hashing.mix(Hashing.fnv1a(request.fileName) ^ request.sequence)
        while !remaining.isEmpty && order.count < count {
            if remaining.count == 1 {
                order.append(remaining[0].id)
                break
            }
            state = Hashing.mix(state &+ 0x9E37_79B9_7F4A_7C15)
            let i = Int(state % UInt64(remaining.count))
            state = Hashing.mix(state &+ 0x9E37_79B9_7F4A_7C15)
            var j = Int(state % UInt64(remaining.count - 1))
            if j >= i { j += 1 }
            // Compare the load each candidate would have with the file: a huge file goes to the roomier node.
            let load = { (n: NodeLoad) in (Double(n.usedBytes + request.size) / n.weight, n.id) }
            let pick = load(remaining[i]) <= load(remaining[j]) ? i : j
            order.append(remaining[pick].id)
            remaining.remove(at: pick)
        }
        return order
    }
}
