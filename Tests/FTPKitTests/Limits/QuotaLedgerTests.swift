@testable import FTPKit
import Testing
import SeedTestSupport

/// The quota's books as a value: what is charged, credited, refused and settled, without storage or time.
@Suite(.tags(.unit), .inTestSet(.unit)) struct QuotaLedgerTests {
    @Test func concurrentUploadsShareTheLimit() throws {
        var ledger = QuotaLedger(quota: FTPQuota(bytes: 10_000), usedBytes: 1_000, usedFiles: 1)
        let a = try ledger.begin(path: "/a", existing: nil, keeps: 0).get()
        let b = try ledger.begin(path: "/b", existing: nil, keeps: 0).get()
        #expect(throws: Never.self) { try ledger.charge(a, bytes: 4_000).get() }
        #expect(throws: Never.self) { try ledger.charge(b, bytes: 4_000).get() }
        #expect(ledger.remainingBytes == 1_000)
        // The next chunk of either would pass 10 000 with what the other has written. The refused upload is given
        // up in the same step: what it wrote stops counting, so the other may write it.
        #expect(throws: QuotaLedger.Refusal.bytes(limit: 10_000)) { try ledger.charge(a, bytes: 1_001).get() }
        #expect(ledger.projectedBytes == 5_000)
        #expect(throws: Never.self) { try ledger.charge(b, bytes: 1_000).get() }
        #expect(throws: Never.self, "a given-up upload charges nothing") { try ledger.charge(a, bytes: 1_000_000).get() }
        #expect(ledger.projectedBytes == 6_000)
        ledger.abort(a)
        #expect(ledger.projectedBytes == 6_000)
        ledger.commit(b, before: nil, after: 5_000)
        #expect(ledger.usedBytes == 6_000 && ledger.usedFiles == 2 && ledger.uploads.isEmpty)
    }

    /// Sizes past 64 bits together (sparse files) saturate; credits are taken from the whole, whatever the order
    /// of the uploads.
    @Test func sumsPastSixtyFourBitsSaturate() throws {
        var ledger = QuotaLedger(quota: FTPQuota(bytes: 1 << 30), usedBytes: .max, usedFiles: 3)
        #expect(ledger.remainingBytes == 0)
        let over = try ledger.begin(path: "/big", existing: UInt64(Int64.max), keeps: 0).get()
        #expect(throws: QuotaLedger.Refusal.bytes(limit: 1 << 30)) { try ledger.charge(over, bytes: UInt64.max).get() }
        ledger.commit(over, before: UInt64(Int64.max), after: UInt64.max)
        #expect(ledger.usedBytes == UInt64.max - UInt64(Int64.max), "saturated, then the replaced bytes taken off")
        var fresh = QuotaLedger(quota: FTPQuota(bytes: 1 << 30), usedBytes: 0, usedFiles: 1)
        let credited = try fresh.begin(path: "/old", existing: 100, keeps: 0).get()
        let other = try fresh.begin(path: "/new", existing: nil, keeps: 0).get()
        try fresh.charge(other, bytes: 50).get()
        #expect(fresh.projectedBytes == 0, "50 written against 100 credited")
        _ = credited
    }

    @Test func anOverwriteIsCreditedTheBytesItReplaces() throws {
        // Full quota: replacing the 4 000-byte file with 4 000 new bytes needs nothing free, 4 001 would.
        var ledger = QuotaLedger(quota: FTPQuota(bytes: 10_000), usedBytes: 10_000, usedFiles: 3)
        let id = try ledger.begin(path: "/f", existing: 4_000, keeps: 0).get()
        #expect(throws: Never.self) { try ledger.charge(id, bytes: 4_000).get() }
        #expect(throws: QuotaLedger.Refusal.self) { try ledger.charge(id, bytes: 1).get() }
        ledger.commit(id, before: 4_000, after: 4_000)
        #expect(ledger.usedBytes == 10_000 && ledger.usedFiles == 3)
        // An append keeps the old bytes: no credit at all.
        let append = try ledger.begin(path: "/f", existing: 4_000, keeps: 4_000).get()
        #expect(throws: QuotaLedger.Refusal.self) { try ledger.charge(append, bytes: 1).get() }
        ledger.abort(append)
        // A restart at 1 000 gives back the 3 000 bytes after the offset.
        let restart = try ledger.begin(path: "/f", existing: 4_000, keeps: 1_000).get()
        #expect(throws: Never.self) { try ledger.charge(restart, bytes: 3_000).get() }
        #expect(throws: QuotaLedger.Refusal.self) { try ledger.charge(restart, bytes: 1).get() }
    }

    @Test func twoOverwritesOfOneFileGetOneCredit() throws {
        var ledger = QuotaLedger(quota: FTPQuota(bytes: 10_000), usedBytes: 10_000, usedFiles: 1)
        let first = try ledger.begin(path: "/f", existing: 10_000, keeps: 0).get()
        let second = try ledger.begin(path: "/f", existing: 10_000, keeps: 0).get()
        #expect(throws: Never.self) { try ledger.charge(first, bytes: 10_000).get() }
        // Only one of them can free the old content: the second has nothing to write into.
        #expect(throws: QuotaLedger.Refusal.self) { try ledger.charge(second, bytes: 1).get() }
    }

    @Test func theFileCountIsCheckedBeforeAnyData() throws {
        var ledger = QuotaLedger(quota: FTPQuota(files: 2), usedBytes: 0, usedFiles: 1)
        let a = try ledger.begin(path: "/a", existing: nil, keeps: 0).get()
        // The second new file would be the third with the one in flight.
        #expect(throws: QuotaLedger.Refusal.files(limit: 2)) { try ledger.begin(path: "/b", existing: nil, keeps: 0).get() }
        // Overwriting an existing file adds none.
        #expect(throws: Never.self) { try ledger.begin(path: "/old", existing: 5, keeps: 0).get() }
        ledger.commit(a, before: nil, after: 0)
        #expect(ledger.usedFiles == 2)
        ledger.removed(bytes: 0)
        #expect(throws: Never.self) { try ledger.begin(path: "/b", existing: nil, keeps: 0).get() }
    }

    @Test func deletesGiveBackAndNeverGoNegative() {
        var ledger = QuotaLedger(quota: FTPQuota(bytes: 100, files: 5), usedBytes: 50, usedFiles: 1)
        ledger.removed(bytes: 80)
        #expect(ledger.usedBytes == 0 && ledger.usedFiles == 0 && ledger.remainingBytes == 100)
    }

    @Test func byteCountsAreReadLikeOperatorsWriteThem() {
        #expect(FTPByteCount.parse("1048576") == 1_048_576)
        #expect(FTPByteCount.parse("512K") == 512 * 1024)
        #expect(FTPByteCount.parse("10M") == 10 << 20)
        #expect(FTPByteCount.parse("10MiB") == 10 << 20)
        #expect(FTPByteCount.parse("2gb") == 2 << 30)
        #expect(FTPByteCount.parse(" 1T ") == 1 << 40)
        for bad in ["", "M", "-1", "1.5M", "10X", "99999999999999999999", "20000000T", "１０"] {
            #expect(FTPByteCount.parse(bad) == nil, "\(bad)")
        }
        #expect(FTPByteCount.format(10 << 20) == "10M" && FTPByteCount.format(1500) == "1500")
    }
}

/// The token bucket on a virtual clock: the rate holds over time, bursts are bounded, and callers sharing it
/// are served in turn.
@Suite(.tags(.unit), .inTestSet(.unit)) struct TokenBucketTests {
    let start = ContinuousClock.now

    @Test func theRateHoldsAndABurstIsBounded() {
        var bucket = TokenBucket(rate: 100_000, burst: 10_000)
        // The burst goes at once; then every 10 000 bytes wait a tenth of a second more.
        #expect(bucket.reserve(10_000, now: self.start) == .zero)
        #expect(bucket.reserve(10_000, now: self.start) == .milliseconds(100))
        #expect(bucket.reserve(10_000, now: self.start) == .milliseconds(200))
        // A quiet spell refills at most one burst.
        let later = self.start + .seconds(10)
        #expect(bucket.reserve(10_000, now: later) == .zero)
        #expect(bucket.reserve(1, now: later) > .zero)
    }

    @Test func sessionsSharingABucketTakeTurns() {
        // Two senders alternate 10 000-byte pieces, each sending when its wait is over: each gets half the rate.
        var bucket = TokenBucket(rate: 100_000, burst: 10_000)
        var ready = [self.start, self.start]
        var sent = [0, 0]
        var now = self.start
        while now < self.start + .seconds(10) {
            let who = ready[0] <= ready[1] ? 0 : 1
            now = ready[who]
            ready[who] = now + bucket.reserve(10_000, now: now)
            sent[who] += 10_000
        }
        // At most the rate, one burst, and the piece each sender reserved last (it goes out after the 10 s).
        let total = sent[0] + sent[1]
        #expect(total <= 100_000 * 10 + 10_000 + 2 * 10_000)
        #expect(total >= 100_000 * 10 - 10_000 * 2)
        #expect(abs(sent[0] - sent[1]) <= 10_000, "\(sent)")
    }
}
