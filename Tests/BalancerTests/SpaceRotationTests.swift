import SeedTestSupport
import Testing

@testable import Balancer

@Suite(.tags(.unit), .inTestSet(.unit)) struct SpaceRotationTests {
    let spaces = ["a", "b", "c", "d", "e"].map { Space($0)! }

    @Test func everySpaceWhenTheyFitInARound() {
        #expect(SpaceRotation.next(after: nil, in: self.spaces, count: 5) == self.spaces)
        #expect(SpaceRotation.next(after: Space("c"), in: self.spaces, count: 64) == self.spaces)
        #expect(SpaceRotation.next(after: nil, in: [], count: 3) == [])
        #expect(SpaceRotation.next(after: nil, in: self.spaces, count: 0) == [])
    }

    @Test func roundsTakeTheNextSpacesInTurnAndWrapAround() {
        var last: Space?
        var rounds: [[String]] = []
        for _ in 0..<4 {
            let chosen = SpaceRotation.next(after: last, in: self.spaces, count: 2)
            last = chosen.last
            rounds.append(chosen.map(\.name))
        }
        #expect(rounds == [["a", "b"], ["c", "d"], ["e", "a"], ["b", "c"]])
    }

    @Test func aSpaceThatWentAwayDoesNotResetTheTurn() {
        // "c" was audited last and has since lost its last file: the turn goes on with what follows it.
        let left = self.spaces.filter { $0.name != "c" }
        #expect(SpaceRotation.next(after: Space("c"), in: left, count: 2).map(\.name) == ["d", "e"])
        // Past the end: from the start again.
        #expect(SpaceRotation.next(after: Space("z"), in: self.spaces, count: 2).map(\.name) == ["a", "b"])
    }

    @Test func everySpaceComesRoundWithinAsManyRoundsAsItTakes() {
        let many = (0..<103).map { Space("s\($0)")! }.sorted()
        var last: Space?
        var seen: [Space: Int] = [:]
        for _ in 0..<11 {  // ⌈103 / 10⌉
            let chosen = SpaceRotation.next(after: last, in: many, count: 10)
            #expect(chosen.count == 10 && Set(chosen).count == 10)
            last = chosen.last
            for s in chosen { seen[s, default: 0] += 1 }
        }
        #expect(seen.count == many.count)
        #expect(seen.values.allSatisfy { $0 <= 2 })
    }
}
