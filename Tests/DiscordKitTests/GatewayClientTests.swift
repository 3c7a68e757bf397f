import DiscordEmulator
import DiscordKit
import Foundation
import Testing

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
        guard ContinuousClock.now < deadline else { throw EmulatorTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

@Suite struct GatewayClientTests {
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
            await emulator.postMessage(channel: filesChannel, author: ana, content: "hello 👋")
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
            await emulator.postMessage(channel: filesChannel, author: ana, content: "while away")
            try await waitFor("RESUMED") { await log.resumedCount == 1 }
            try await waitFor("the missed message") { await log.messages == ["while away"] }
            #expect(await emulator.identifyCount == 1)
            #expect(await emulator.resumeCount == 1)
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
            await emulator.postMessage(channel: filesChannel, author: ana, content: "after the garbage")
            try await waitFor("the real message") { await log.messages == ["after the garbage"] }
            let others = await log.events.compactMap { if case .other(let name, _) = $0 { name } else { nil } }
            #expect(others.contains("MESSAGE_CREATE") && others.contains("INTERACTION_CREATE"), "\(others)")
            // A resume replays nothing twice and loses nothing.
            await emulator.disconnectGateway(code: nil)
            await emulator.postMessage(channel: filesChannel, author: ana, content: "while away")
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
            try await waitFor("a second READY") { await log.readyCount == 2 }
            #expect(await emulator.identifyCount == 2)
            await emulator.postMessage(channel: filesChannel, author: ana, content: "still here")
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

    @Test func aDisallowedIntentStopsWithAClearError() async throws {
        let config = DiscordEmulator.Configuration(heartbeatIntervalMilliseconds: 300, messageContentIntentAllowed: false)
        try await withGateway(config) { _, _, _, run in
            let result = await run.result
            #expect(throws: GatewayError.disallowedIntents) { try result.get() }
        }
        // Without the privileged intent it connects.
        try await withGateway(config, intents: [.guilds, .guildMessages]) { _, _, log, _ in
            try await waitFor("READY") { await log.readyCount == 1 }
        }
    }
}
