/// Most free space first, for nodes that report it (AVBL); nodes that do not come last, least used first.
public struct MostFreeSpace: PlacementStrategy {
    public init() {}
    public var name: String { "most-free" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        nodes.filter { $0.isHealthy && ($0.freeBytes ?? .max) >= request.size }.sorted { a, b in
            switch (a.freeBytes, b.freeBytes) {
            case (let x?, let y?): return (y, a.id) < (x, b.id)
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return (a.usedBytes, a.id) < (b.usedBytes, b.id)
            }
        }.map(\.id)
    }
    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        smallest(request.replicas, of: nodes, where: { ($0.freeBytes ?? .max) >= request.size }) {
            FreeSpaceKey(unknown: $0.freeBytes == nil, free: $0.freeBytes ?? 0, used: $0.usedBytes)
        }
    }
}

/// Known free space first, most free first; unknown free space last, least used first.
struct FreeSpaceKey: Comparable {
    var unknown: Bool
    var free: UInt64
    var used: UInt64
    static func < (a: Self, b: Self) -> Bool {
        if a.unknown != b.unknown { return !a.unknown }
        return a.unknown ? a.used < b.used : a.free > b.free
    }
}
