import DiscordKit
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct GatewayStateMachineTests {
    func readyMachine() -> GatewayStateMachine {
        var m = GatewayStateMachine(gatewayURL: "wss://gw")
        m.connected()
        _ = m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0.5)
        _ = m.received(.ready(sequence: 1, sessionID: "s1", resumeURL: "wss://resume"), jitter: 0)
        return m
    }

    @Test func helloStartsHeartbeatsWithJitterAndIdentifies() {
        var m = GatewayStateMachine(gatewayURL: "wss://gw")
        m.connected()
        #expect(m.received(.hello(heartbeatIntervalMilliseconds: 41_250), jitter: 0.25) == [
            .startHeartbeat(interval: .milliseconds(41_250), firstDelay: .milliseconds(10_312)), .send(.identify),
        ])
        #expect(m.state == .identifying)
        #expect(m.received(.ready(sequence: 1, sessionID: "s", resumeURL: "wss://r"), jitter: 0) == [])
        #expect(m.state == .ready)
    }

    /// The interval comes from the network: one no client could use is kept within 1 ms and an hour, and the
    /// arithmetic on it cannot trap.
    @Test func aHelloWithAnAbsurdIntervalIsBounded() {
        for (ms, interval) in [(Int.max, 3_600_000), (0, 1), (-5, 1)] {
            var m = GatewayStateMachine(gatewayURL: "wss://gw")
            m.connected()
            #expect(m.received(.hello(heartbeatIntervalMilliseconds: ms), jitter: 1) == [
                .startHeartbeat(interval: .milliseconds(interval), firstDelay: .milliseconds(interval)), .send(.identify),
            ])
        }
    }

    @Test func heartbeatsCarryTheLastSequenceAndAZombieIsClosedAndResumed() {
        var m = readyMachine()
        _ = m.received(.dispatch(sequence: 7), jitter: 0)
        #expect(m.heartbeatDue() == [.send(.heartbeat(sequence: 7))])
        _ = m.received(.heartbeatAck, jitter: 0)
        #expect(m.heartbeatDue() == [.send(.heartbeat(sequence: 7))])
        // No ACK for that beat: zombie.
        #expect(m.heartbeatDue() == [.close(code: 4000)])
        #expect(m.closed(code: 4000) == [.reconnect(url: "wss://resume", delay: .zero)])
        m.connected()
        #expect(m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0) == [
            .startHeartbeat(interval: .seconds(1), firstDelay: .zero), .send(.resume(sessionID: "s1", sequence: 7)),
        ])
        _ = m.received(.resumed(sequence: 8), jitter: 0)
        #expect(m.state == .ready)
    }

    @Test func serverHeartbeatRequestIsAnsweredAtOnce() {
        var m = readyMachine()
        #expect(m.received(.heartbeatRequest, jitter: 0) == [.send(.heartbeat(sequence: 1))])
    }

    @Test func reconnectAndInvalidSession() {
        var m = readyMachine()
        #expect(m.received(.reconnect, jitter: 0) == [.close(code: 4000)])
        #expect(m.closed(code: nil) == [.reconnect(url: "wss://resume", delay: .zero)])
        m.connected()
        _ = m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0)
        // Not resumable: a new session on the original URL.
        #expect(m.received(.invalidSession(resumable: false), jitter: 0) == [.close(code: 4000)])
        guard case .reconnect(let url, _) = m.closed(code: 4000).first else {
            Issue.record("no reconnect")
            return
        }
        #expect(url == "wss://gw")
        m.connected()
        #expect(m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0).last == .send(.identify))
    }

    @Test func finalCloseCodesStopWithWhatToFix() {
        for (code, error) in [(4004, GatewayError.authenticationFailed), (4010, .invalidShard), (4011, .shardingRequired),
                              (4012, .invalidAPIVersion), (4013, .invalidIntents), (4014, .disallowedIntents)] {
            var m = readyMachine()
            #expect(m.closed(code: code) == [.fail(error)])
            #expect(m.state == .stopped)
        }
        #expect(GatewayError.disallowedIntents.description.contains("Message Content intent"))
        #expect(GatewayError.authenticationFailed.description.contains("token"))
    }

    @Test func sessionTimeoutsIdentifyAgainAndFailuresBackOff() {
        var m = readyMachine()
        guard case .reconnect(let url, let first) = m.closed(code: 4009).first else {
            Issue.record("no reconnect")
            return
        }
        #expect(url == "wss://gw")
        #expect(first == .seconds(1))
        // Connections that fail before READY back off further, up to the cap.
        var delays: [Duration] = []
        for _ in 0..<8 {
            m.connected()
            if case .reconnect(_, let d) = m.closed(code: nil).first { delays.append(d) }
        }
        #expect(delays.first == .seconds(2))
        #expect(delays.last == .seconds(60))
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func stopClosesNormallyAndNeverReconnects() {
        var m = readyMachine()
        #expect(m.stop() == [.close(code: 1000)])
        #expect(m.closed(code: 1000) == [])
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct GatewayCloseCodeTests {
    @Test func everyResumableCloseCodeReconnects() {
        // 4000-4003, 4005, 4008 keep the session; 4007 (invalid sequence) and 4009 (timed out) need a new one.
        for code in [4000, 4001, 4002, 4003, 4005, 4007, 4008, 4009, 1000, 1001, 1006] {
            var m = GatewayStateMachine(gatewayURL: "wss://gw")
            m.connected()
            _ = m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0)
            _ = m.received(.ready(sequence: 3, sessionID: "s", resumeURL: "wss://resume"), jitter: 0)
            guard case .reconnect(let url, _) = m.closed(code: code).first else {
                Issue.record("close code \(code) did not reconnect")
                continue
            }
            let fresh = code == 4007 || code == 4009
            #expect(url == (fresh ? "wss://gw" : "wss://resume"), "close code \(code)")
            m.connected()
            let next = m.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0).last
            #expect(next == (fresh ? .send(.identify) : .send(.resume(sessionID: "s", sequence: 3))), "close code \(code)")
        }
    }
}
