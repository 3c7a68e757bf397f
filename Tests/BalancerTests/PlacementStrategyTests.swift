import Balancer
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct PlacementStrategyTests {
    let nodes = [
        NodeLoad(id: "a", usedBytes: 500, freeBytes: 100, activeTransfers: 3),
        NodeLoad(id: "b", usedBytes: 100, freeBytes: 900, activeTransfers: 0),
        NodeLoad(id: "c", usedBytes: 300, freeBytes: 50, activeTransfers: 1),
        NodeLoad(id: "down", usedBytes: 0, freeBytes: 10_000, activeTransfers: 0, isHealthy: false),
    ]
    let request = PlacementRequest(fileName: "report.pdf", size: 60, replicas: 2, sequence: 7)

    @Test(arguments: PlacementStrategies.all.map(\.name))
    func placeAgreesWithRank(_ name: String) throws {
        let s = try #require(PlacementStrategies.named(name))
        for k in 1...4 {
            let r = PlacementRequest(fileName: "f\(k)", size: 60, replicas: k, sequence: UInt64(k * 3))
            #expect(s.place(r, nodes: nodes) == Array(s.rank(r, nodes: nodes).prefix(k)), "\(name) k=\(k)")
        }
    }

    @Test(arguments: PlacementStrategies.all.map(\.name))
    func neverChoosesUnhealthyOrDuplicateNodes(_ name: String) throws {
        let s = try #require(PlacementStrategies.named(name))
        let ranked = s.rank(request, nodes: nodes)
        #expect(!ranked.contains("down"))
        #expect(Set(ranked).count == ranked.count)
        #expect(s.place(request, nodes: nodes).count == 2)
        #expect(s.rank(request, nodes: nodes) == ranked, "deterministic")
        #expect(s.rank(request, nodes: nodes.map { var n = $0; n.isHealthy = false; return n }).isEmpty)
    }

    @Test func orderings() {
        #expect(LeastUsedBytes().rank(request, nodes: nodes) == ["b", "c", "a"])
        // c has only 50 bytes free: too small for a 60-byte file.
        #expect(MostFreeSpace().rank(request, nodes: nodes) == ["b", "a"])
        #expect(FewestActiveTransfers().rank(request, nodes: nodes) == ["b", "c", "a"])
        #expect(RoundRobin().rank(PlacementRequest(fileName: "x", size: 1, sequence: 0), nodes: nodes) == ["a", "b", "c"])
        #expect(RoundRobin().rank(PlacementRequest(fileName: "x", size: 1, sequence: 4), nodes: nodes) == ["b", "c", "a"])
        #expect(RoundRobin().place(PlacementRequest(fileName: "x", size: 1, replicas: 2, sequence: 2), nodes: nodes) == ["c", "a"])
    }

    @Test func weightsShiftTheChoice() {
        let weighted = [NodeLoad(id: "small", usedBytes: 100, weight: 1), NodeLoad(id: "big", usedBytes: 300, weight: 4)]
        #expect(WeightedByCapacity().rank(PlacementRequest(fileName: "f", size: 10), nodes: weighted).first == "big")
        #expect(LeastUsedBytes().rank(PlacementRequest(fileName: "f", size: 10), nodes: weighted).first == "small")
    }

    @Test func powerOfTwoPrefersTheLessLoadedCandidate() {
        // With two nodes both are always the candidates: the lighter one must come first.
        let two = [NodeLoad(id: "heavy", usedBytes: 1000), NodeLoad(id: "light", usedBytes: 10)]
        for seq in 0..<50 {
            #expect(PowerOfTwoChoices().rank(PlacementRequest(fileName: "f\(seq)", size: 1, sequence: UInt64(seq)), nodes: two).first == "light")
        }
    }

    @Test func rendezvousIsStableAndMovesLittle() {
        let three = (0..<3).map { NodeLoad(id: "n\($0)") }
        let four = three + [NodeLoad(id: "n3")]
        var moved = 0
        var counts: [String: Int] = [:]
        for i in 0..<3000 {
            let r = PlacementRequest(fileName: "file\(i)", size: 1)
            let home = RendezvousHashing().place(r, nodes: three)[0]
            counts[home, default: 0] += 1
            let after = RendezvousHashing().place(r, nodes: four)[0]
            if after != home {
                moved += 1
                #expect(after == "n3", "a file only ever moves to the new node")
            }
            // Load does not influence rendezvous: the same name always maps to the same node.
            var loaded = three
            loaded[0].usedBytes = 1 << 40
            #expect(RendezvousHashing().place(r, nodes: loaded)[0] == home)
        }
        #expect(moved > 500 && moved < 1000, "about a quarter moves: \(moved)")
        #expect(counts.values.allSatisfy { $0 > 800 }, "roughly even: \(counts)")
    }
}
