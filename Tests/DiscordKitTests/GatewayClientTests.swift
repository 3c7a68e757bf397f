import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation
import Testing
import SeedTestSupport

/// Collects gateway events in the background.
actor EventLog {
    private(set) var events: [GatewayEvent] = []
    func append(_ e: GatewayEvent) { self.events.append(e) }
    var messages: [String] {
        self.events.compactMap { if case .messageCreate(let m) = $0 { m.content } else { nil } }
    }
    var readyCount: Int { self.events.filter { if case .ready = $0 { true } else { false } }.count }
    var resumedCount: Int { self.events.filter { if case .resumed = $0 { true } else { false } }.count }
}

func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw EmulatorError.timeout(what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

@Suite(.tags(.slow), .inTestSet(.slow)) struct GatewayClientTests {
    func withGateway(
        _ configuration: DiscordEmulator.Configuration = .init(heartbeatIntervalMilliseconds: 1000),
        compress: Bool = true, intents: GatewayIntents = .commandBot,
        _ body: (DiscordEmulator, GatewayClient, EventLog, Task<Void, any Error>) async throws -> Void
    ) async throws {
        try await withEmulator(configuration) { emulator, rest in
            let gateway = GatewayClient(
                configuration: GatewayConfiguration(
                    token: BotToken(configuration.token), intents: intents, compress: compress,
                    maximumBackoff: .milliseconds(200)),
                rest: rest)
            let log = EventLog()
            let consumer = Task { for await e in gateway.events { await log.append(e) } }
            let run = Task { try await gateway.run() }
            do {
                try await body(emulator, gateway, log, run)
            } catch {
                await gateway.stop()
                _ = await run.result
                throw error
            }
            await gateway.stop()
            _ = await run.result
            await consumer.value
        }
    }

    @Test(arguments: [true, false]) func identifiesAndReceivesEvents(compress: Bool) async throws {
        try await withGateway(compress: compress) { emulator, gateway, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            #expect(await emulator.lastIntents == GatewayIntents.commandBot.rawValue)
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "hello 👋")
            try await waitFor("the message") { await log.messages == ["hello 👋"] }
            // Heartbeats flow (interval 300 ms).
            try await waitFor("heartbeats") { await emulator.heartbeatCount >= 2 }
            try await waitFor("an acknowledged heartbeat") { await gateway.health().latency != nil }
            let health = await gateway.health()
            #expect(health.isHealthy())
            #expect(health.identifies == 1, "a busy machine may resume, never re-identify")
        }
    }

    @Test func aDroppedConnectionResumesAndGetsMissedEvents() async throws {
        try await withGateway { emulator, gateway, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.disconnectGateway(code: nil)
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "while away")
            try await waitFor("RESUMED") { await log.resumedCount == 1 }
            try await waitFor("the missed message") { await log.messages == ["while away"] }
            #expect(await emulator.identifyCount == 1)
            #expect(await emulator.resumeCount == 1)
            // Discord wants resumes on READY's resume_gateway_url, which the emulator serves on its own port.
            #expect(await emulator.resumesOnResumeURL == 1)
        }
    }

    /// Frames that are not JSON, an unknown opcode and events whose data has the wrong shape are logged and
    /// skipped (a malformed event still counts for the sequence, so a resume does not replay it): the session goes
    /// on and later events arrive.
    @Test func malformedPayloadsAreSkipped() async throws {
        try await withGateway { emulator, gateway, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.sendRawFrame("this is not JSON")
            await emulator.sendRawFrame(#"{"op":"zero"}"#)
            await emulator.sendRawFrame(#"{"op":42,"d":null}"#)
            await emulator.dispatchRaw("MESSAGE_CREATE", json: #"{"id":5,"content":["not","text"]}"#)
            await emulator.dispatchRaw("INTERACTION_CREATE", json: "null")
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "after the garbage")
            try await waitFor("the real message") { await log.messages == ["after the garbage"] }
            let others = await log.events.compactMap { if case .other(let name, _) = $0 { name } else { nil } }
            #expect(others.contains("MESSAGE_CREATE") && others.contains("INTERACTION_CREATE"), "\(others)")
            // A resume replays nothing twice and loses nothing.
            await emulator.disconnectGateway(code: nil)
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "while away")
            try await waitFor("RESUMED") { await log.resumedCount == 1 }
            try await waitFor("the missed message") { await log.messages == ["after the garbage", "while away"] }
            #expect(await emulator.identifyCount == 1)
        }
    }

    @Test func aZombieConnectionIsDetectedAndResumed() async throws {
        try await withGateway { emulator, gateway, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.setAcknowledgesHeartbeats(false)
            try await waitFor("a new connection") { await emulator.gatewayConnectionCount >= 2 }
            await emulator.setAcknowledgesHeartbeats(true)
            try await waitFor("RESUMED") { await log.resumedCount >= 1 }
            #expect(await emulator.identifyCount == 1)
        }
    }

    @Test func reconnectRequestsAndInvalidSessions() async throws {
        try await withGateway { emulator, gateway, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.requestReconnect()
            try await waitFor("RESUMED") { await log.resumedCount == 1 }
            await emulator.invalidateSessions(resumable: false)
            // Up to 5 s of invalid-session wait plus the identify pacing: give a loaded machine room.
            try await waitFor("a second READY", timeout: .seconds(90)) { await log.readyCount == 2 }
            #expect(await emulator.identifyCount == 2)
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "still here")
            try await waitFor("the message") { await log.messages == ["still here"] }
        }
    }

    @Test func resumableCloseCodesReconnectAndFinalOnesStop() async throws {
        try await withGateway { emulator, gateway, log, run in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.disconnectGateway(code: 4000)
            try await waitFor("RESUMED") { await log.resumedCount == 1 }
            await emulator.disconnectGateway(code: 4004)
            let result = await run.result
            #expect(throws: GatewayError.authenticationFailed) { try result.get() }
        }
    }

    /// Slash commands need no intent: a refused Message Content intent (4014) is not a reason to stop. The client
    /// identifies again without it; messages then arrive without their text, as Discord sends them.
    @Test func aDisallowedIntentContinuesWithoutIt() async throws {
        let config = DiscordEmulator.Configuration(heartbeatIntervalMilliseconds: 300, messageContentIntentAllowed: false)
        try await withGateway(config) { emulator, _, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            #expect(await emulator.sentCloseCodes == [4014])
            let intents = try #require(await emulator.lastIntents)
            #expect(intents & GatewayIntents.messageContent.rawValue == 0)
            #expect(intents & GatewayIntents.guildMessages.rawValue != 0)
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!list")
            try await waitFor("the message, without its text") { await log.messages == [""] }
        }
        // Told to, it stops with what to fix instead.
        try await withEmulator(config) { _, rest in
            let gateway = GatewayClient(
                configuration: GatewayConfiguration(token: BotToken(config.token), continueWithoutPrivilegedIntents: false),
                rest: rest)
            await #expect(throws: GatewayError.disallowedIntents) { try await gateway.run() }
        }
    }

    /// A session past its lifetime cannot be resumed (close 4009): the client identifies anew.
    @Test func anExpiredSessionIsIdentifiedAnew() async throws {
        var config = DiscordEmulator.Configuration(heartbeatIntervalMilliseconds: 1000)
        config.sessionLifetime = .zero
        try await withGateway(config) { emulator, _, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            await emulator.disconnectGateway(code: nil)
            // Up to 5 s of invalid-session wait plus the identify pacing: give a loaded machine room.
            try await waitFor("a second READY", timeout: .seconds(90)) { await log.readyCount == 2 }
            #expect(await emulator.sentCloseCodes.contains(4009))
            #expect(await emulator.identifyCount == 2)
        }
    }

    /// After a non-resumable INVALID_SESSION Discord asks for a wait of 1–5 s before identifying again.
    @Test func aNewSessionWaitsAfterAnInvalidSession() async throws {
        try await withGateway { emulator, _, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
            let sent = ContinuousClock.now
            await emulator.invalidateSessions(resumable: false)
            // Up to 5 s of invalid-session wait plus the identify pacing: give a loaded machine room.
            try await waitFor("a second READY", timeout: .seconds(90)) { await log.readyCount == 2 }
            let second = try #require(await emulator.identifies.last?.at)
            #expect(second - sent >= .seconds(1))
        }
        var machine = GatewayStateMachine(gatewayURL: "ws://x")
        machine.connected()
        _ = machine.received(.hello(heartbeatIntervalMilliseconds: 1000), jitter: 0)
        _ = machine.received(.invalidSession(resumable: false), jitter: 0)
        #expect(machine.closed(code: nil, jitter: 1) == [.reconnect(url: "ws://x", delay: .seconds(5))])
    }
}
