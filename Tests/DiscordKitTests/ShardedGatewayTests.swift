import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation
import Testing
import SeedTestSupport

@Suite(.tags(.slow), .inTestSet(.slow)) struct ShardedGatewayTests {
    /// Guild 2000 lives on shard 0 of 2 ((2000 >> 22) % 2), `onShardOne` on shard 1; a channel in each.
    static let onShardOne = Snowflake((UInt64(1) << 22) | 7)
    static var twoShards: DiscordEmulator.Configuration {
        var config = DiscordEmulator.Configuration(
            guilds: [EmulatedGuild(id: "2000", name: "zero"), EmulatedGuild(id: onShardOne.rawValue, name: "one")],
            channels: [EmulatedChannel(id: "3000", guildID: "2000", name: "a"), EmulatedChannel(id: "3100", guildID: onShardOne.rawValue, name: "b")],
            heartbeatIntervalMilliseconds: 1000)
        config.recommendedShards = 2
        config.identifyInterval = .milliseconds(80)
        return config
    }

    /// A process that runs part of the bot's shards gets only their guilds' events; the others' go to other
    /// processes.
    @Test func aProcessRunsOnlyItsShards() async throws {
        try await withEmulator(Self.twoShards) { emulator, rest in
            let selection = try ShardSelection(parsing: "1/2")
            #expect(selection.serves(guild: Self.onShardOne) && !selection.serves(guild: "2000"))
            let gateway = ShardedGateway(
                configuration: GatewayConfiguration(token: BotToken("emulator-token"), maximumBackoff: .milliseconds(200)),
                rest: rest, selection: selection, roundInterval: .milliseconds(100))
            let seen = ShardLog()
            let consumer = Task { for await e in gateway.events { await seen.add(e) } }
            let run = Task { try await gateway.run() }
            do {
                try await waitFor("shard 1's READY") { await seen.readyShards == [1] }
                try await emulator.wait("one identify") { $0.identifyCount == 1 ? true : nil }
                try await emulator.postMessage(channel: "3000", author: ana, content: "to zero")
                try await emulator.postMessage(channel: "3100", author: ana, content: "to one")
                try await waitFor("shard 1's message") { await seen.messages.contains { $0.1 == "to one" } }
                #expect(await seen.messages.map(\.1) == ["to one"], "guild 2000 is another process's (shard 0)")
                #expect(await gateway.health().count == 1)
            } catch {
                await gateway.stop()
                throw error
            }
            await gateway.stop()
            try await run.value
            await consumer.value
        }
    }

    @Test func shardSelectionsAreReadAsOperatorsWriteThem() throws {
        #expect(try ShardSelection(parsing: "0-1/4").ids == [0, 1])
        #expect(try ShardSelection(parsing: "0,3/4").ids == [0, 3])
        #expect(try ShardSelection(parsing: "all/3").ids == [0, 1, 2])
        #expect(try ShardSelection(parsing: "2/4").description == "2/4")
        // The last three, found by the settings fuzz target, trapped: a list of 4.4e18 ids asked for, and an
        // overflowing subtraction.
        for bad in ["", "1", "4/4", "-1/4", "1-0/4", "a/4", "1/0", "0/5000", "1//4", "1,,2/4",
                    "all/4425268108868222976", "all/-5", "-9223372036854775808-9223372036854775807/4"] {
            #expect(throws: ShardSelectionError.self, "\(bad)") { _ = try ShardSelection(parsing: bad) }
        }
    }
    @Test func recommendedShardsRunInOneProcessAndSurviveEachOther() async throws {
        try await withEmulator(Self.twoShards) { emulator, rest in
            let gateway = ShardedGateway(
                configuration: GatewayConfiguration(token: BotToken("emulator-token"), maximumBackoff: .milliseconds(200)),
                rest: rest, roundInterval: .milliseconds(100))
            let seen = ShardLog()
            let consumer = Task { for await e in gateway.events { await seen.add(e) } }
            let run = Task { try await gateway.run() }
            do {
                try await emulator.wait("two identifies") { $0.identifyCount == 2 ? true : nil }
                try await waitFor("both READYs") { await seen.readyShards == [0, 1] }
                // Each guild's events reach only its shard.
                try await emulator.postMessage(channel: "3000", author: ana, content: "to zero")
                try await emulator.postMessage(channel: "3100", author: ana, content: "to one")
                try await waitFor("both messages") { await seen.messages.count == 2 }
                #expect(await seen.messages.sorted { $0.1 < $1.1 }.map(\.0) == [1, 0])
                #expect(await gateway.health().count == 2)

                // Shard 1 stops for good (bad shard settings); shard 0 carries on.
                await emulator.disconnectGateway(code: 4010, shard: 1)
                try await waitFor("shard 1 stopping") { await gateway.health().map(\.state) == [.ready, .stopped] }
                try await emulator.postMessage(channel: "3000", author: ana, content: "still zero")
                try await waitFor("shard 0's next message") { await seen.messages.contains { $0.1 == "still zero" } }
                #expect(await gateway.health().map(\.state) == [.ready, .stopped])
            } catch {
                await gateway.stop()
                throw error
            }
            await gateway.stop()
            try await run.value
            await consumer.value
        }
    }
}

extension ShardedGatewayTests {
    /// Re-identifies after an invalid session keep `max_concurrency`'s pace like first connections: the emulator
    /// never has to refuse one for coming too soon.
    @Test func reidentifiesArePacedByMaxConcurrency() async throws {
        let onShardOne = (UInt64(1) << 22) | 7
        var config = DiscordEmulator.Configuration(
            guilds: [EmulatedGuild(id: "2000", name: "zero"), EmulatedGuild(id: String(onShardOne), name: "one")],
            channels: [EmulatedChannel(id: "3000", guildID: "2000", name: "a")], heartbeatIntervalMilliseconds: 1000)
        config.recommendedShards = 2
        // The client paces at 2 s; the emulator allows 1 s, so that a loaded machine delaying one shard's send
        // by up to a second (the time between the client's slot and the emulator's receipt) is no failure.
        config.identifyInterval = .seconds(1)
        try await withEmulator(config) { emulator, rest in
            let gateway = ShardedGateway(
                configuration: GatewayConfiguration(token: BotToken("emulator-token"), maximumBackoff: .milliseconds(200)),
                rest: rest, roundInterval: .seconds(2))
            let run = Task { try await gateway.run() }
            let drain = Task { for await _ in gateway.events {} }
            do {
                try await emulator.wait("two identifies") { $0.identifyCount == 2 ? true : nil }
                await emulator.invalidateSessions(resumable: false)
                try await emulator.wait(timeout: .seconds(30), "two more identifies") { $0.identifyCount == 4 ? true : nil }
                #expect(await emulator.identifiesTooSoon == 0)
                let times = await emulator.identifies.map(\.at)
                for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= .seconds(1)) }
            } catch {
                await gateway.stop()
                throw error
            }
            await gateway.stop()
            _ = await run.result
            await drain.value
        }
    }
}

actor ShardLog {
    var readyShards: Set<Int> = []
    var messages: [(Int, String)] = []
    func add(_ e: ShardedGateway.ShardEvent) {
        switch e.event {
        case .ready: self.readyShards.insert(e.shard)
        case .messageCreate(let m): self.messages.append((e.shard, m.content))
        default: break
        }
    }
}
