import NIOCore
import Testing

@testable import FTPKit

/// When a client's data connection counts as stalled: only while it waits on the server.
@Suite struct StallStateTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func at(_ seconds: Int64) -> NIODeadline { self.t0 + .seconds(seconds) }

    @Test func aDownloadStallsOnlyWhileItAsksForBytes() {
        var s = StallState(watching: .reads, timeout: .seconds(10))
        s.readRequested(now: self.at(0))
        #expect(!s.isStalled(now: self.at(9)))
        #expect(s.isStalled(now: self.at(10)))
        // Bytes restart the clock; with no read asked for (the consumer is slow), no time counts at all.
        s.bytesRead(now: self.at(10))
        #expect(!s.isStalled(now: self.at(100)))
        s.readRequested(now: self.at(100))
        #expect(!s.isStalled(now: self.at(109)))
        #expect(s.isStalled(now: self.at(110)))
    }

    @Test func aDownloadIgnoresWrites() {
        var s = StallState(watching: .reads, timeout: .seconds(10))
        s.writeStarted(now: self.at(0))
        #expect(!s.isStalled(now: self.at(60)))
    }

    @Test func anUploadStallsOnlyWhileItsBytesWait() {
        var s = StallState(watching: .writes, timeout: .seconds(10))
        // A read is always pending on an upload's connection; no data ever answers it.
        s.readRequested(now: self.at(0))
        #expect(!s.isStalled(now: self.at(60)))
        s.writeStarted(now: self.at(60))
        s.writeStarted(now: self.at(61))
        #expect(!s.isStalled(now: self.at(69)))
        // One write leaving is progress: the clock restarts for the one still waiting.
        s.writeFinished(now: self.at(69))
        #expect(!s.isStalled(now: self.at(78)))
        #expect(s.isStalled(now: self.at(79)))
        // Everything written: a source with nothing to send may pause as long as it likes.
        s.writeFinished(now: self.at(79))
        #expect(!s.isStalled(now: self.at(500)))
    }
}
