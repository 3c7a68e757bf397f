// Places 100,000 files with heavy-tailed sizes on clusters of 3, 5 and 20 nodes with every strategy and prints,
// per strategy: the max/mean load ratio (load = stored bytes / weight), the decision time per placement, and for
// rendezvous hashing the share of files that move when a node joins or leaves. `scripts/bench-balancer` runs it.
import Balancer
import Foundation

struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Pareto(alpha, xm): many small files, a few huge ones.
    mutating func pareto(alpha: Double, xm: Double) -> UInt64 {
        let u = (Double(next() >> 11) + 0.5) / Double(1 << 53)
        return UInt64(xm / pow(u, 1 / alpha))
    }
}

let fileCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
var rng = Random(state: 42)
let sizes = (0..<fileCount).map { _ in min(rng.pareto(alpha: 1.3, xm: 64 * 1024), 4 << 30) }
let total = sizes.reduce(0, +)

let clusters: [(String, [Double])] = [
    ("3 equal nodes", [1, 1, 1]),
    ("5 nodes, capacities 1:1:2:2:4", [1, 1, 2, 2, 4]),
    ("20 nodes, capacities 1–4", (0..<20).map { Double(1 + $0 % 4) }),
]

func nodes(_ weights: [Double]) -> [NodeLoad] {
    let sum = weights.reduce(0, +)
    return weights.enumerated().map { i, w in
        NodeLoad(id: "node\(i)", usedBytes: 0, freeBytes: UInt64(Double(total) * 1.5 * w / sum), weight: w)
    }
}

print("Files: \(fileCount), Pareto(α=1.3, xₘ=64 KiB) sizes capped at 4 GiB, \(total / 1_000_000_000) GB in all;")
print("one replica per file. Ideal max/mean = 1.000. Strategies that ignore capacity (least-used, fewest-transfers,")
print("round-robin) even out bytes; weighted, power-of-two and rendezvous even out bytes ÷ capacity.\n")
for (title, weights) in clusters {
    print("### \(title)\n")
    print("| strategy | max/mean bytes | max/mean load (bytes ÷ capacity) | decision time (ns) |")
    print("|---|---|---|---|")
    for strategy in PlacementStrategies.all {
        var state = nodes(weights)
        let index = Dictionary(uniqueKeysWithValues: state.enumerated().map { ($1.id, $0) })
        var elapsed: Duration = .zero
        for (i, size) in sizes.enumerated() {
            let request = PlacementRequest(fileName: "file-\(i)", size: size, replicas: 1, sequence: UInt64(i))
            let start = ContinuousClock.now
            let chosen = strategy.place(request, nodes: state)
            elapsed += ContinuousClock.now - start
            for id in chosen {
                let k = index[id]!
                state[k].usedBytes += size
                if let free = state[k].freeBytes { state[k].freeBytes = free > size ? free - size : 0 }
            }
        }
        func ratio(_ v: [Double]) -> Double { v.max()! / (v.reduce(0, +) / Double(v.count)) }
        let bytes = ratio(state.map { Double($0.usedBytes) })
        let loads = ratio(state.map { Double($0.usedBytes) / $0.weight })
        let ns = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
        print(String(format: "| %@ | %.3f | %.3f | %.0f |", strategy.name, bytes, loads, ns / Double(fileCount)))
    }
    print("")
}

// Rendezvous: how many files change their first node when a node joins or leaves.
print("### Rendezvous hashing: files that move\n")
print("| nodes | a node joins (share moved) | ideal | a node leaves (share moved) | ideal |")
print("|---|---|---|---|---|")
let rendezvous = RendezvousHashing()
for n in [3, 5, 20] {
    let base = (0..<n).map { NodeLoad(id: "node\($0)") }
    let joined = base + [NodeLoad(id: "node\(n)")]
    let left = Array(base.dropLast())
    var movedJoin = 0, movedLeave = 0
    for i in 0..<fileCount {
        let r = PlacementRequest(fileName: "file-\(i)", size: 0)
        let home = rendezvous.place(r, nodes: base)
        if rendezvous.place(r, nodes: joined) != home { movedJoin += 1 }
        if rendezvous.place(r, nodes: left) != home { movedLeave += 1 }
    }
    print(String(format: "| %d | %.3f | %.3f | %.3f | %.3f |", n, Double(movedJoin) / Double(fileCount), 1 / Double(n + 1),
        Double(movedLeave) / Double(fileCount), 1 / Double(n)))
}
