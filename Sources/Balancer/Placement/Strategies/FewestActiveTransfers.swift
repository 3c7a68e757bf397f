/// Fewest running transfers first, then least used: spreads concurrent work.
public struct FewestActiveTransfers: PlacementStrategy {
    public init() {}
    public var name: String { "fewest-transfers" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        nodes.filter(\.isHealthy).sorted {
            ($0.activeTransfers, $0.usedBytes, $0.id) < ($1.activeTransfers, $1.usedBytes, $1.id)
        }.map(\.id)
    }
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        smallest(request.replicas, of: nodes) { ActiveThenUsed(active: $0.activeTransfers, used: $0.usedBytes) }
    }
}

/// Orders by running transfers, then stored bytes.
struct ActiveThenUsed: Comparable {
    var active: Int
    var used: UInt64
    static func < (a: Self, b: Self) -> Bool { (a.active, a.used) < (b.active, b.used) }
}
