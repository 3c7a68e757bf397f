@testable import Balancer
import Testing
import SeedTestSupport

/// The in-memory index a space's listing and completion read: kept in order by every change, it must always
/// equal an index built from scratch, and complete by prefix (any case) before substrings.
@Suite(.tags(.unit), .inTestSet(.unit)) struct SpaceIndexTests {
    static func file(_ name: String, size: UInt64 = 1) -> ClusterFile {
        ClusterFile(space: .default, name: name, size: size, nodes: ["node0"], version: "v")
    }

    @Test func changesKeepTheSameOrdersAsABuildFromScratch() {
        var generator = SystemRandomNumberGenerator()
        let names = (0..<60).map { i in ["Report", "report", "ärger", "Zeta", "alpha", "ALPHA", "a", "b"][i % 8] + " \(i / 8).txt" }
        var index = SpaceIndex()
        var expected: [String: ClusterFile] = [:]
        for step in 0..<2000 {
            let name = names.randomElement(using: &generator)!
            let file: ClusterFile? = Bool.random(using: &generator) ? Self.file(name, size: UInt64(step)) : nil
            index.set(name, file)
            expected[name] = file
            if step % 97 == 0 {
                let rebuilt = SpaceIndex(expected.values)
                #expect(index.byName == rebuilt.byName)
                #expect(index.names(matching: "re", limit: 100) == rebuilt.names(matching: "re", limit: 100))
            }
        }
        #expect(index.byName.map(\.name) == expected.keys.sorted())
        #expect(index.byName.map(\.size) == expected.keys.sorted().map { expected[$0]!.size })
    }

    @Test func completionPutsPrefixesFirstInAnyCase() {
        let index = SpaceIndex(["Beta.txt", "alpha.txt", "ALPHABET.md", "gamma alpha.txt", "delta.txt"].map { Self.file($0) })
        #expect(index.byName.map(\.name) == ["ALPHABET.md", "Beta.txt", "alpha.txt", "delta.txt", "gamma alpha.txt"])
        #expect(index.names(matching: "alp", limit: 25) == ["alpha.txt", "ALPHABET.md", "gamma alpha.txt"])
        #expect(index.names(matching: "ALP", limit: 2) == ["alpha.txt", "ALPHABET.md"])
        #expect(index.names(matching: "", limit: 2) == ["ALPHABET.md", "Beta.txt"])
        #expect(index.names(matching: "zzz", limit: 25).isEmpty)
        #expect(index.names(matching: ".txt", limit: 25) == ["alpha.txt", "Beta.txt", "delta.txt", "gamma alpha.txt"])
    }
}
