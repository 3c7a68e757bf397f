#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
