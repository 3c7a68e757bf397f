import DiscordKit
import Foundation
import Synchronization
import Testing
import SeedTestSupport

/// The router's commands are children of a task group its `run` owns: a command started long ago is still waited
/// for (or cancelled after the drain timeout) however many commands came after it. Events are fed directly; no
/// handler here talks to Discord, so the REST client is never used.
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(2))) struct CommandRouterDrainTests {
    /// Records what handlers did, and lets the test wait for a count without sleeping.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        private let changes: AsyncStream<Void>.Continuation
        let changed: AsyncStream<Void>

        init() { (self.changed, self.changes) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1)) }

        func add(_ entry: String) {
            self.entries.withLock { $0.append(entry) }
            self.changes.yield()
        }

        var all: [String] { self.entries.withLock { $0 } }

        func wait(until condition: ([String]) -> Bool) async {
            if condition(self.all) { return }
            for await _ in self.changed where condition(self.all) { return }
        }
    }

    static func message(_ content: String, id: Int) -> GatewayEvent {
        .messageCreate(Message(id: Snowflake("\(id)"), channelID: "3000", author: User(id: "501", username: "ana"), content: content))
    }

    /// A router whose `!hold` waits until cancelled (recording it) and whose `!quick` returns at once.
    static func router(_ journal: Journal) async -> (CommandRouter, DiscordRESTClient) {
        let rest = DiscordRESTClient(configuration: DiscordConfiguration(token: BotToken("unused"), apiBaseURL: "http://127.0.0.1:9"))
        let router = CommandRouter(rest: rest)
        await router.register(CommandSpec("hold", description: "Waits", options: [])) { _, _ in
            journal.add("hold started")
            let (never, keep) = AsyncStream.makeStream(of: Void.self)
            for await _ in never {}  // ends only when the task is cancelled
            withExtendedLifetime(keep) {}
            journal.add(Task.isCancelled ? "hold cancelled" : "hold ended")
        }
        await router.register(CommandSpec("quick", description: "Returns", options: [])) { _, _ in
            journal.add("quick")
        }
        return (router, rest)
    }

    /// 300 commands after a long one (the old router kept only the newest 128 tasks): the drain timeout still
    /// reaches the long one, and `run` returns only once it has unwound.
    @Test func aLongCommandIsCancelledAtTheDrainTimeoutHoweverManyCameAfter() async throws {
        let journal = Journal()
        let (router, rest) = await Self.router(journal)
        let (events, feed) = AsyncStream.makeStream(of: GatewayEvent.self)
        let serving = Task { await router.run(events, drainTimeout: .milliseconds(300)) }
        feed.yield(Self.message("!hold", id: 1))
        await journal.wait { $0.contains("hold started") }
        for i in 0..<300 { feed.yield(Self.message("!quick", id: 10 + i)) }
        await journal.wait { $0.filter { $0 == "quick" }.count == 300 }
        feed.finish()
        await serving.value
        #expect(journal.all.last == "hold cancelled", "run returned before the long command unwound: \(journal.all.suffix(3))")
        try await rest.shutdown()
    }

    /// Without a timeout, `run` waits for every command, then returns; cancelling `run`'s task cancels them.
    @Test func runWaitsForItsCommandsAndCancellingItCancelsThem() async throws {
        let journal = Journal()
        let (router, rest) = await Self.router(journal)
        let (events, feed) = AsyncStream.makeStream(of: GatewayEvent.self)
        let serving = Task { await router.run(events) }
        feed.yield(Self.message("!hold", id: 1))
        feed.yield(Self.message("!quick", id: 2))
        await journal.wait { $0.contains("hold started") && $0.contains("quick") }
        feed.finish()
        serving.cancel()
        await serving.value
        #expect(journal.all.contains("hold cancelled"))
        // The router serves again after a run has ended; a run whose commands are all quick returns by itself.
        let (more, feedMore) = AsyncStream.makeStream(of: GatewayEvent.self)
        feedMore.yield(Self.message("!quick", id: 3))
        feedMore.finish()
        await router.run(more, drainTimeout: .seconds(600))
        #expect(journal.all.filter { $0 == "quick" }.count == 2)
        try await rest.shutdown()
    }
}
