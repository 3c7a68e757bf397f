import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct CommandRouterTests {
    /// A router serving `echo TEXT` and `file` on an emulator, with the gateway running.
    func withRouter(
        _ body: (DiscordEmulator, CommandRouter) async throws -> Void
    ) async throws {
        // A generous deadline: the auto-defer at 1.5 s must land even on a loaded CI machine.
        try await withEmulator(.init(heartbeatIntervalMilliseconds: 5000, interactionDeadline: .seconds(8))) { emulator, rest in
            let router = CommandRouter(rest: rest, prefixes: ["!"])
            await router.register(CommandSpec(
                "echo", aliases: ["eco"], description: "Repeats",
                options: [.init("text", "What to say", required: true, autocomplete: true, takesRest: true)]),
                autocomplete: { _, option, typed in ["\(option):\(typed)-1", "\(option):\(typed)-2"] }
            ) { invocation, reply in
                let text = invocation.string("text") ?? ""
                // Slow: answers only once the router has deferred on its own, however late a loaded machine runs
                // the 1.5 s timer (one ran it after 2.6 s): a fixed sleep past the timer was a bet on the machine.
                if text == "slow", case .interaction(let interaction) = invocation.origin {
                    try await emulator.wait(timeout: .seconds(20), "the automatic deferral") {
                        $0.response(to: interaction) != nil ? true : nil
                    }
                }
                let files = invocation.attachments.map(\.filename).joined(separator: ",")
                try await reply.send(MessagePayload(content: "\(invocation.user.username) said \(text) \(files)"))
            }
            await router.register(CommandSpec(
                "confirm", description: "Asks", options: [])) { _, reply in
                try await reply.send(MessagePayload(
                    content: "Sure?", components: [.row([.button("Yes", id: "confirm:yes", style: .danger)])]))
            }
            await router.registerHelp()
            await router.registerComponent(prefix: "confirm:") { interaction, rest in
                try await rest.respond(to: interaction, .update(MessagePayload(content: "Confirmed", components: [])))
            }
            let gateway = GatewayClient(
                configuration: GatewayConfiguration(token: BotToken("emulator-token"), compress: true), rest: rest)
            let run = Task { try await gateway.run() }
            let serve = Task { await router.run(gateway.events) }
            try await emulator.wait(timeout: .seconds(20), "READY") { $0.identifyCount == 1 ? true : nil }
            let registered = try await rest.overwriteGlobalCommands(
                applicationID: "1000", await router.applicationCommands)
            #expect(registered.map(\.name) == ["confirm", "echo", "help"])
            do {
                try await body(emulator, router)
            } catch {
                await gateway.stop()
                _ = await run.result
                throw error
            }
            await gateway.stop()
            _ = await run.result
            await serve.value
        }
    }

    @Test func prefixAndSlashCommandsShareOneHandler() async throws {
        try await withRouter { emulator, _ in
            let posted = try await emulator.postMessage(
                channel: filesChannel, author: ana, content: "!eco hello  there",
                files: [(filename: "a.txt", data: Data("a".utf8))])
            let reply = try await emulator.wait("the prefix reply") { e in
                e.messages(in: filesChannel).first { $0.author.bot == true }
            }
            #expect(reply.content == "ana said hello there a.txt")
            _ = posted
            let interaction = try await emulator.invokeCommand(
                "echo", options: ["text": .string("hi")], user: bruno, channel: filesChannel)
            let original = try await emulator.wait("the slash reply") { $0.originalMessage(of: interaction) }
            #expect(original.content == "bruno said hi ")
            #expect(await emulator.response(to: interaction)?.type == .channelMessage)

            let help = try await emulator.invokeCommand("help", user: ana, channel: filesChannel)
            let helpMessage = try await emulator.wait("help") { $0.originalMessage(of: help) }
            let text = helpMessage.embeds.first?.description ?? ""
            #expect(text.contains("`!echo TEXT` or `/echo` — Repeats (also `!eco`)"))
            #expect(text.contains("`!help` or `/help`"))
        }
    }

    @Test func slowHandlersAreDeferredBeforeTheDeadline() async throws {
        try await withRouter { emulator, _ in
            let interaction = try await emulator.invokeCommand(
                "echo", options: ["text": .string("slow")], user: ana, channel: filesChannel)
            let original = try await emulator.wait("the edited reply") { e in
                e.originalMessage(of: interaction).flatMap { $0.content.isEmpty ? nil : $0 }
            }
            #expect(await emulator.response(to: interaction)?.type == .deferredChannelMessage)
            #expect(original.content == "ana said slow ")
        }
    }

    @Test func usageErrorsUnknownCommandsAndBotsAreHandled() async throws {
        try await withRouter { emulator, _ in
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!echo")
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!nope")
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!it's another bot's")
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!!!")
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!echo \"open")
            try await emulator.postMessage(
                channel: filesChannel, author: User(id: "9", username: "otherbot", bot: true), content: "!echo x")
            let replies = try await emulator.wait("two replies") { e -> [String]? in
                let r = e.messages(in: filesChannel).filter { $0.author.bot == true && $0.author.id == "1000" }
                return r.count >= 2 ? r.map(\.content) : nil
            }
            #expect(replies.contains { $0.contains("Usage: `!echo TEXT`") })
            #expect(replies.contains { $0.contains("quote is not closed") })
            // Messages that are not this bot's commands get no answer at all; a later command still does.
            try await emulator.postMessage(channel: filesChannel, author: ana, content: "!echo last")
            try await emulator.wait("the last reply") { e in
                e.messages(in: filesChannel).contains { $0.content == "ana said last " } ? true : nil
            }
            #expect(await emulator.messages(in: filesChannel).filter { $0.author.id == "1000" }.count == 3)
        }
    }

    @Test func autocompleteAndButtons() async throws {
        try await withRouter { emulator, _ in
            let ac = try await emulator.requestAutocomplete("echo", option: "text", typed: "he", user: ana, channel: filesChannel)
            let response = try await emulator.wait("choices") { $0.response(to: ac) }
            #expect(response.data?.choices?.map(\.name) == ["text:he-1", "text:he-2"])
            // Choices over Discord's 100 characters are cut (name and value), not sent whole and refused.
            let long = String(repeating: "é", count: 120)
            let acLong = try await emulator.requestAutocomplete("echo", option: "text", typed: long, user: ana, channel: filesChannel)
            let cut = try await emulator.wait("long choices") { $0.response(to: acLong) }
            #expect(cut.data?.choices?.allSatisfy { $0.name.count == 100 && $0.value.description.count == 100 } == true)
            #expect(await emulator.formErrorCount == 0)

            let ask = try await emulator.invokeCommand("confirm", user: ana, channel: filesChannel)
            let question = try await emulator.wait("the question") { $0.originalMessage(of: ask) }
            #expect(question.components.first?.components?.first?.customID == "confirm:yes")
            let press = try await emulator.pressButton(message: question.id, customID: "confirm:yes", user: ana)
            try await emulator.wait("the update") { e in e.response(to: press) }
            #expect(await emulator.message(question.id)?.content == "Confirmed")
        }
    }
}
