@testable import DiscordKit
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct PeerWaitStateTests {
    let start = ContinuousClock.now

    @Test func onlyAWaitLongerThanTheLimitIsAStall() {
        var state = PeerWaitState(limit: .seconds(10))
        // No wait under way: time passing is the reader's own.
        let idle = state.check(at: start + .seconds(100))
        state.waitStarted(at: start + .seconds(100))
        let short = state.check(at: start + .seconds(109))
        let firstEnded = state.waitEnded()
        #expect(!idle && !short && !firstEnded)
        // A new wait starts its own count.
        state.waitStarted(at: start + .seconds(200))
        let almost = state.check(at: start + .seconds(209.9))
        let over = state.check(at: start + .seconds(210))
        // Declared once; the wait's end reports it.
        let again = state.check(at: start + .seconds(230))
        let secondEnded = state.waitEnded()
        #expect(!almost && over && !again && secondEnded)
    }

    @Test func aStallIsFinal() {
        var state = PeerWaitState(limit: .seconds(1))
        state.waitStarted(at: start)
        let over = state.check(at: start + .seconds(2))
        let ended = state.waitEnded()
        state.waitStarted(at: start + .seconds(3))
        let later = state.waitEnded()
        #expect(over && ended && later && state.stalled)
    }
}
