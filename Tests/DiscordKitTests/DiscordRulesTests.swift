import DiscordEmulator
import DiscordKit
import DiscordTestSupport
import Foundation
import SeedTestSupport
import Testing

/// What real Discord punishes, checked against the emulator's own statement of Discord's rules.
@Suite(.tags(.interop), .inTestSet(.interop)) struct DiscordRulesTests {
    static let commands = [
        CommandSpec("x", description: "X").applicationCommand, CommandSpec("y", description: "Y").applicationCommand,
    ]

    func withCommands(
        _ configuration: DiscordEmulator.Configuration = .init(),
        _ body: (DiscordEmulator, DiscordRESTClient) async throws -> Void
    ) async throws {
        try await withEmulator(configuration) { emulator, rest in
            try await rest.overwriteGlobalCommands(applicationID: "1000", Self.commands)
            try await body(emulator, rest)
        }
    }

    /// Callbacks are limited per interaction: one interaction held by a 429 does not hold back another's answer
    /// (which would arrive after Discord's 3 seconds).
    @Test func oneInteractionsRateLimitDoesNotDelayAnother() async throws {
        // A long first-answer window: the held interaction is answered after its 429, whatever the machine's load.
        try await withCommands(.init(interactionDeadline: .seconds(60))) { emulator, rest in
            let held = try await emulator.invokeCommand("x", user: ana, channel: filesChannel)
            let other = try await emulator.invokeCommand("y", user: bruno, channel: filesChannel)
            await emulator.inject(.init(pathPrefix: "/interactions/\(held.id.rawValue)/", status: 429, retryAfter: 8))
            let first = Task { try await rest.respond(to: held, .message(MessagePayload(content: "late but fine"))) }
            try await emulator.wait("the 429") { $0.requests.contains { $0.status == 429 } ? true : nil }
            let started = ContinuousClock.now
            try await rest.respond(to: other, .message(MessagePayload(content: "on time")))
            #expect(ContinuousClock.now - started < .seconds(6), "the other interaction waited for the held one's limit")
            #expect(await emulator.originalMessage(of: other)?.content == "on time")
            try await first.value
            #expect(await emulator.originalMessage(of: held)?.content == "late but fine")
        }
    }

    /// An automatic (public) deferral followed by an ephemeral answer: the public "thinking" message goes away and
    /// the answer is seen by the user alone.
    @Test func anEphemeralAnswerAfterAPublicDeferralStaysPrivate() async throws {
        try await withCommands { emulator, rest in
            let interaction = try await emulator.invokeCommand("x", user: ana, channel: filesChannel)
            let replier = CommandReplier(rest: rest, origin: .interaction(interaction))
            try await replier.acknowledge()
            #expect(await emulator.messages(in: filesChannel).count == 1, "the public thinking message")
            try await replier.send(MessagePayload(content: "only for you", flags: MessagePayload.ephemeralFlag))
            #expect(await emulator.messages(in: filesChannel).isEmpty)
            #expect(await emulator.ephemeral(for: ana).map(\.content) == ["only for you"])
            #expect(await emulator.ephemeral(for: bruno).isEmpty)
        }
    }

    /// Interaction tokens last 15 minutes: later progress and results go to the channel, mentioning the user.
    @Test func pastTheTokensLifetimeAnswersGoToTheChannel() async throws {
        try await withCommands { emulator, rest in
            let interaction = try await emulator.invokeCommand("x", user: ana, channel: filesChannel)
            let replier = CommandReplier(rest: rest, origin: .interaction(interaction))
            try await replier.send(MessagePayload(content: "⬆️ 10%"))
            try await replier.edit(MessagePayload(content: "⬆️ 50%"))
            await emulator.advanceClock(by: .seconds(15 * 60 + 1))
            try await replier.edit(MessagePayload(content: "⬆️ 90%"))
            try await replier.edit(MessagePayload(content: "✅ Stored"))
            try await replier.send(MessagePayload(content: "one more thing"))
            let texts = await emulator.messages(in: filesChannel).map(\.content)
            #expect(texts == ["⬆️ 50%", "<@501> ✅ Stored", "<@501> one more thing"], "\(texts)")
            // The same through the injected clock, without Discord having to refuse first.
            let later = try await emulator.invokeCommand("y", user: bruno, channel: filesChannel)
            let start = ContinuousClock.now
            let aged = CommandReplier(rest: rest, origin: .interaction(later), receivedAt: start,
                                      now: { start + .seconds(20 * 60) })
            try await aged.acknowledge()
            try await aged.send(MessagePayload(content: "done"))
            #expect(await emulator.messages(in: filesChannel).last?.content == "<@502> done")
            #expect(!(await emulator.requests.contains { $0.path.contains("/webhooks/") && $0.status == 401 && $0.path.contains(later.token) }))
        }
    }

    /// Every message is fitted to Discord's limits before it is sent; Discord would refuse the whole message.
    @Test func oversizedMessagesAreFittedNotRefused() async throws {
        try await withEmulator { emulator, rest in
            let fields = (0..<40).map { Embed.Field(name: "node\($0)", value: String(repeating: "v", count: 1500)) }
            let payload = MessagePayload(
                content: String(repeating: "c", count: 2600),
                embeds: [Embed(title: String(repeating: "t", count: 300), description: String(repeating: "d", count: 5000),
                               fields: fields)])
            let sent = try await rest.createMessage(channel: filesChannel, payload)
            #expect(sent.content.count == 2000 && sent.content.hasSuffix("…"))
            let embed = try #require(sent.embeds.first)
            #expect((embed.fields?.count ?? 0) <= 25 && (embed.title?.count ?? 0) <= 256)
            let total = (embed.title?.count ?? 0) + (embed.description?.count ?? 0)
                + (embed.fields ?? []).reduce(0) { $0 + $1.name.count + $1.value.count }
            #expect(total <= 6000)
            #expect(await emulator.formErrorCount == 0)

            // Discord counts code points: 1,500 `é` written as `e` and U+0301 are 3,000 of them, however they look.
            let decomposed = try await rest.createMessage(
                channel: filesChannel, MessagePayload(content: String(repeating: "e\u{301}", count: 1500)))
            #expect(decomposed.content.unicodeScalars.count <= 2000 && decomposed.content.hasSuffix("…"))
            #expect(decomposed.content.dropLast().allSatisfy { $0 == "e\u{301}" })  // cut between letters, not in one
            #expect(await emulator.formErrorCount == 0)
        }
    }

    /// The emulator answers what Discord refuses with Discord's 400 / 50035 body, field by field.
    @Test func theEmulatorRefusesLikeDiscord() async throws {
        try await withEmulator { emulator, _ in
            let base = await emulator.apiBaseURL
            func call(_ method: String, _ path: String, _ body: String) async throws -> (Int, EmulatorJSON) {
                let out = try await Command.run([
                    "curl", "-sS", "-X", method, "-H", "Authorization: Bot emulator-token", "-H", "User-Agent: DiscordBot (test, 1)",
                    "-H", "Content-Type: application/json", "--data-binary", body, "-w", "\n%{http_code}", base + path])
                let lines = out.text.split(separator: "\n")
                return (Int(lines.last ?? "") ?? 0, try EmulatorJSON(parsing: Data(lines.dropLast().joined(separator: "\n").utf8)))
            }
            let body = #"{"content":"\#(String(repeating: "x", count: 2001))","embeds":[{"title":"\#(String(repeating: "t", count: 257))"}]}"#
            let (status, json) = try await call("POST", "/channels/3000/messages", body)
            #expect(status == 400)
            #expect(json["code"]?.int == 50035)
            #expect(json["errors"]?["content"]?["_errors"]?[0]?["code"]?.string == "BASE_TYPE_MAX_LENGTH")
            #expect(json["errors"]?["embeds"]?["0"]?["title"]?["_errors"] != nil)
            // 1,001 characters, 2,002 code points: too long, as Discord counts.
            let accents = #"{"content":"\#(String(repeating: "e\u{301}", count: 1001))"}"#
            let (accentsStatus, accentsRefusal) = try await call("POST", "/channels/3000/messages", accents)
            #expect(accentsStatus == 400)
            #expect(accentsRefusal["errors"]?["content"]?["_errors"]?[0]?["code"]?.string == "BASE_TYPE_MAX_LENGTH")
            // Commands are validated when registered: names, descriptions, required options first.
            let bad = #"[{"name":"Bad Name","description":""},{"name":"ok","description":"d","options":[{"type":3,"name":"a","description":"a"},{"type":3,"name":"b","description":"b","required":true}]}]"#
            let (registered, refusal) = try await call("PUT", "/applications/1000/commands", bad)
            #expect(registered == 400)
            let errors = refusal["errors"]
            #expect(errors?["0"]?["name"] != nil && errors?["0"]?["description"] != nil)
            #expect(errors?["1"]?["options"]?["1"]?["required"] != nil)
            // Interactions exist only for registered commands.
            await #expect(throws: EmulatorError.unknownCommand("nope")) {
                try await emulator.invokeCommand("nope", user: ana.emulated, channel: "3000")
            }
        }
    }

    /// The global limit counts every route (interaction endpoints excepted): the client waits out a global 429
    /// and every call still succeeds.
    ///
    /// The burst goes out at once (the route's bucket is learned first, so the client does not probe it one
    /// request at a time): seven requests against a limit of three in a second meet a 429 however slow the
    /// machine is, where seven calls one after another would not on a machine slower than 3 per second.
    @Test func aGlobal429IsWaitedOut() async throws {
        var config = DiscordEmulator.Configuration()
        config.globalRequestsPerSecond = 3
        try await withEmulator(config) { emulator, rest in
            _ = try await rest.currentUser()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<7 { group.addTask { _ = try await rest.currentUser() } }
                try await group.waitForAll()
            }
            let statuses = await emulator.requests.map(\.status)
            #expect(statuses.filter { $0 == 200 }.count == 8)
            #expect(statuses.contains(429), "\(statuses)")
        }
    }

    /// Too many invalid requests and the address is banned: Cloudflare's HTML 429, no JSON and no `Via` header,
    /// even for valid requests.
    @Test func invalidRequestsEndInABan() async throws {
        var config = DiscordEmulator.Configuration()
        config.invalidRequestLimit = 3
        try await withEmulator(config) { emulator, _ in
            let base = await emulator.apiBaseURL
            for _ in 0..<3 {
                let refused = try await Command.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                     "-H", "Authorization: Bot wrong", base + "/users/@me"])
                #expect(refused.text == "401")
            }
            let banned = try await Command.run([
                "curl", "-s", "-i", "-H", "Authorization: Bot emulator-token", "-H", "User-Agent: DiscordBot (t, 1)",
                base + "/users/@me"])
            #expect(banned.text.hasPrefix("HTTP/1.1 429"))
            #expect(banned.text.contains("text/html") && !banned.text.lowercased().contains("via:"))
        }
    }
}
