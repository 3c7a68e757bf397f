import DiscordKit
import Testing
import SeedTestSupport

/// The progress line edited into a long transfer's answer: what it shows, and that any values give a line.
@Suite(.tags(.unit), .inTestSet(.unit)) struct ProgressBarTests {
    @Test func showsTheShareDoneSizesAndRate() {
        #expect(ProgressBar.render(done: 12 << 20, total: 20 << 20, elapsed: .seconds(3), width: 10)
            == "[██████░░░░] 60% · 12.0 MiB of 20.0 MiB · 4.0 MiB/s")
        #expect(ProgressBar.render(done: 20 << 20, total: 20 << 20, elapsed: .seconds(2), width: 4)
            == "[████] 100% · 20.0 MiB of 20.0 MiB · 10.0 MiB/s")
        // Without a total (a stream of unknown size), sizes and rate only.
        #expect(ProgressBar.render(done: 1536, total: nil, elapsed: .seconds(1)) == "1.5 KiB · 1.5 KiB/s")
    }

    /// Before, a negative width trapped in `String(repeating:count:)` and a huge count over a tiny time trapped
    /// converting the rate to Int64.
    @Test(arguments: [
        (Int64(5), Int64?.some(0), -3), (Int64(50), Int64?.some(10), -1), (Int64(-7), Int64?.some(10), 5),
        (Int64.max, Int64?.some(1), 12), (Int64.max, Int64?.none, 12), (Int64.min, Int64?.some(Int64.max), 0),
        (Int64(1), Int64?.some(-5), 8),
    ])
    func anyValuesGiveALine(_ done: Int64, _ total: Int64?, _ width: Int) {
        let line = ProgressBar.render(done: done, total: total, elapsed: .zero, width: width)
        #expect(!line.isEmpty)
        if let total, total > 0 {
            #expect(line.hasPrefix("["), "\(line)")
            #expect(line.contains(done >= total ? "100%" : done <= 0 ? " 0%" : "%"), "\(line)")
        }
    }

    @Test func sizesInBinaryUnits() {
        #expect(ProgressBar.bytes(0) == "0 B")
        #expect(ProgressBar.bytes(999) == "999 B")
        #expect(ProgressBar.bytes(1024) == "1.0 KiB")
        #expect(ProgressBar.bytes(-5) == "0 B")
        #expect(ProgressBar.bytes(.max) == "8388608.0 TiB")
    }
}
