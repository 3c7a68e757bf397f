import Testing

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct PassivePortPickerTests {
    /// Seeded, so a draw can be replayed.
    typealias SplitMix = RandomInputTests.Generator

    /// Counts the numbers drawn: a pick must not cost a draw per port of the range.
    struct Counting: RandomNumberGenerator {
        var base = SplitMix(state: 7)
        var draws = 0
        mutating func next() -> UInt64 {
            self.draws += 1
            return self.base.next()
        }
    }

    @Test func withoutARangeTheKernelPicksOnce() {
        var picker = PassivePortPicker(range: nil, generator: SplitMix(state: 1))
        #expect(picker.next() == 0)
        #expect(picker.next() == nil)
    }

    @Test func aWideRangeGivesAtMostTheLimitOfDistinctPortsInsideIt() {
        var picker = PassivePortPicker(range: 40000...60000, generator: SplitMix(state: 2))
        var ports: [Int] = []
        while let port = picker.next() { ports.append(port) }
        #expect(ports.count == PassivePortPicker<SplitMix>.limit)
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { (40000...60000).contains($0) })
    }

    @Test func aSmallRangeIsTriedWholeInSomeOrder() {
        var picker = PassivePortPicker(range: 5000...5009, generator: SplitMix(state: 3))
        var ports: [Int] = []
        while let port = picker.next() { ports.append(port) }
        #expect(ports.sorted() == Array(5000...5009))
        #expect(ports != Array(5000...5009), "drawn at random, not in order")
    }

    @Test func theFirstPortCostsOneDrawWhateverTheRangesSize() {
        var picker = PassivePortPicker(range: 1024...65535, generator: Counting())
        #expect(picker.next() != nil)
        // Int.random(in:) may redraw to stay unbiased, very rarely more than once.
        #expect(picker.generator.draws <= 2)
    }

    @Test func differentSeedsGiveDifferentFirstPorts() {
        let firsts = Set((0..<20).map { seed -> Int? in
            var picker = PassivePortPicker(range: 40000...60000, generator: SplitMix(state: UInt64(seed)))
            return picker.next()
        })
        #expect(firsts.count > 15)
    }
}
