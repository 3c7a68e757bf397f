import Balancer
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct CircuitBreakerTests {
    let t0 = ContinuousClock.now
    let config = CircuitBreaker.Configuration(failureThreshold: 2, initialBackoff: .seconds(1), maxBackoff: .seconds(8), jitter: 0.5)

    /// `allowRequest` mutates, so it cannot sit inside `#expect`.
    func allow(_ b: inout CircuitBreaker, after offset: Duration) -> Bool {
        b.allowRequest(now: self.t0 + offset)
    }

    @Test func opensAfterConsecutiveFailuresAndFailsFast() {
        var b = CircuitBreaker(configuration: config)
        #expect(allow(&b, after: .zero))
        b.recordFailure(now: t0, random: 0)
        #expect(allow(&b, after: .zero), "one failure is not enough")
        b.recordSuccess()
        b.recordFailure(now: t0, random: 0)
        b.recordFailure(now: t0, random: 0)
        #expect(b.state == .open(until: t0 + .milliseconds(500), attempt: 0))
        #expect(!allow(&b, after: .milliseconds(100)))
        #expect(!b.isAvailable(now: t0 + .milliseconds(100)))
    }

    @Test func halfOpenLetsOneProbeThrough() {
        var b = CircuitBreaker(configuration: config)
        b.recordFailure(now: t0, random: 1)
        b.recordFailure(now: t0, random: 1)  // open until t0 + 1 s
        #expect(b.isAvailable(now: t0 + .seconds(1)))
        #expect(allow(&b, after: .seconds(1)))
        #expect(!allow(&b, after: .seconds(1)), "only one probe at a time")
        b.recordSuccess()
        #expect(b.state == .closed(consecutiveFailures: 0))
    }

    @Test func backoffDoublesWithJitterAndIsCapped() {
        let b = CircuitBreaker(configuration: config)
        #expect(b.backoff(attempt: 0, random: 0) == .milliseconds(500))
        #expect(b.backoff(attempt: 0, random: 1) == .seconds(1))
        #expect(b.backoff(attempt: 2, random: 1) == .seconds(4))
        #expect(b.backoff(attempt: 10, random: 1) == .seconds(8))
        #expect(b.backoff(attempt: 10, random: 0) == .seconds(4))
        var failing = CircuitBreaker(configuration: config)
        failing.recordFailure(now: t0, random: 1)
        failing.recordFailure(now: t0, random: 1)
        _ = allow(&failing, after: .seconds(1))
        failing.recordFailure(now: t0 + .seconds(1), random: 1)  // the probe failed: wait twice as long
        #expect(failing.state == .open(until: t0 + .seconds(3), attempt: 1))
    }
}
