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

/// Power of two random choices: two candidates drawn (deterministically, from the request) and the one whose
/// load (bytes ÷ weight, counting the new file) would be lower first. Nearly as even as least-used, without every uploader piling on the same node
/// between load refreshes.
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

/// Rendezvous (highest random weight) hashing: each node scores `-weight / ln(hash(node, file))` and the highest
/// wins. A file's nodes depend only on its name and the node set, so adding or removing a node moves only the
/// files that belong to it (about 1/n), and any client finds a file's replicas without a lookup.
public struct RendezvousHashing: PlacementStrategy {
    public init() {}
    public var name: String { "rendezvous" }
    public func rank(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        let key = Hashing.fnv1a(request.fileName)
        return nodes.filter(\.isHealthy).map { n -> (String, Double) in
            let h = Hashing.mix(key ^ Hashing.fnv1a(n.id))
            // A uniform value in (0, 1); -w/ln(u) gives each node a share proportional to its weight.
            let u = (Double(h >> 11) + 0.5) / Double(1 << 53)
            return (n.id, -n.weight / log(u))
        }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map(\.0)
    }

    public func place(_ request: PlacementRequest, nodes: [NodeLoad]) -> [String] {
        let key = Hashing.fnv1a(request.fileName)
        return smallest(request.replicas, of: nodes) { n in
            let h = Hashing.mix(key ^ Hashing.fnv1a(n.id))
            let u = (Double(h >> 11) + 0.5) / Double(1 << 53)
            return n.weight / log(u)  // the negated score: smallest first is highest score first
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

/// Orders by running transfers, then stored bytes.
struct ActiveThenUsed: Comparable {
    var active: Int
    var used: UInt64
    static func < (a: Self, b: Self) -> Bool { (a.active, a.used) < (b.active, b.used) }
}

/// The strategies by name, for configuration files.
public enum PlacementStrategies {
    /// Every built-in strategy.
    public static let all: [any PlacementStrategy] = [
        LeastUsedBytes(), MostFreeSpace(), FewestActiveTransfers(), RoundRobin(), WeightedByCapacity(),
        PowerOfTwoChoices(), RendezvousHashing(),
    ]

    /// The built-in strategy with this ``PlacementStrategy/name`` (such as `least-used`), or `nil`.
    public static func named(_ name: String) -> (any PlacementStrategy)? {
        all.first { $0.name == name }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
