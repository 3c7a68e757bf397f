import CoreMetrics
public import Logging

/// Serves ``CommandSpec``s from gateway events: prefix commands in messages, slash commands, autocomplete and
/// button presses, each handled in its own task so one slow transfer never holds up other users (or the
/// gateway's heartbeats).
public actor CommandRouter {
    /// Runs one command; what it sends goes through the replier.
    public typealias Handler = @Sendable (CommandInvocation, CommandReplier) async throws -> Void
    /// Returns choices for the focused option given what the user typed so far.
    public typealias Autocomplete = @Sendable (CommandInvocation, _ option: String, _ typed: String) async -> [String]
    /// Handles a button press whose custom ID starts with the registered prefix.
    public typealias ComponentHandler = @Sendable (Interaction, DiscordRESTClient) async throws -> Void

    private let rest: DiscordRESTClient
    private let parser: PrefixCommandParser
    private let logger: Logger
    private var specs: [String: CommandSpec] = [:]
    private var names: [String: String] = [:]
    private var handlers: [String: Handler] = [:]
    private var completers: [String: Autocomplete] = [:]
    private var components: [(prefix: String, handler: ComponentHandler)] = []
    private var botUserID: Snowflake?
    private var guildObservers: [@Sendable (Guild) -> Void] = []
    /// Turns a handler's error into the one sentence users see.
    private let describe: @Sendable (any Error) -> String
    /// Asked, with the message's or interaction's ID, before anything is done about it.
    private let admit: (@Sendable (Snowflake) async -> Bool)?
    /// The message or interaction being handled, whose work ``spawn(_:)`` puts behind ``admit``.
    private var currentEvent: Snowflake?

    /// - Parameter admit: asked with a message's or interaction's ID before it is acted on (in its own task, before
    ///   any answer); `false` leaves it alone. Processes serving one bot that may receive the same events (two
    ///   running the same gateway shard) pass a claim every process shares, so each command is answered once.
    public init(
        rest: DiscordRESTClient, prefixes: [String] = ["!"], logger: Logger = Logger(label: "DiscordKit.Commands"),
        describeError: @escaping @Sendable (any Error) -> String = { "\($0)" },
        admit: (@Sendable (Snowflake) async -> Bool)? = nil
    ) {
        self.admit = admit
        self.rest = rest
        self.parser = PrefixCommandParser(prefixes: prefixes)
        self.logger = logger
        self.describe = describeError
    }

    /// Routes the command `spec` (and its aliases, as a prefix command and a slash command) to `handler`.
    public func register(_ spec: CommandSpec, autocomplete: Autocomplete? = nil, handler: @escaping Handler) {
        self.specs[spec.name] = spec
        self.handlers[spec.name] = handler
        for name in [spec.name] + spec.aliases { self.names[name.lowercased()] = spec.name }
        if let autocomplete { self.completers[spec.name] = autocomplete }
    }

    /// Routes button presses whose custom id starts with `prefix` to `handler`.
    public func registerComponent(prefix: String, handler: @escaping ComponentHandler) {
        self.components.append((prefix, handler))
    }

    /// Registers `observer` for every guild the gateway describes (`GUILD_CREATE` on joining or connecting,
    /// `GUILD_UPDATE` when its settings change). It is called in event order, before any later command starts, so a
    /// command sees what the events before it said; it must not block.
    public func observeGuilds(_ observer: @escaping @Sendable (Guild) -> Void) {
        self.guildObservers.append(observer)
    }

    /// The slash commands to register (``DiscordRESTClient/overwriteGlobalCommands(applicationID:_:)``).
    public var applicationCommands: [ApplicationCommand] {
        self.specs.values.sorted { $0.name < $1.name }.map(\.applicationCommand)
    }

    /// Help generated from the declarations: one line per command with its usage and aliases.
    public func helpText() -> String {
        let prefix = self.primaryPrefix
        return self.specs.values.sorted { $0.name < $1.name }.map { spec in
            let aliases = spec.aliases.isEmpty ? "" : " (also " + spec.aliases.map { "`\(prefix)\($0)`" }.joined(separator: ", ") + ")"
            return "`\(spec.usage(prefix: prefix))` or `/\(spec.name)` — \(spec.description)\(aliases)"
        }.joined(separator: "\n")
    }

    /// Registers `help` (prefix and slash), answering with ``helpText()`` as an embed.
    public func registerHelp(title: String = "Commands") {
        self.register(CommandSpec("help", description: "Lists the commands")) { [weak self] _, reply in
            guard let self else { return }
            let text = await self.helpText()
            try await reply.send(MessagePayload(embeds: [Embed(title: title, description: text)]))
        }
    }

    /// The prefix shown in help and answers (`!`).
    public var primaryPrefix: String { self.parser.prefixes.last ?? "!" }

    /// Consumes gateway events until the stream ends, then waits for the commands still running: each runs as a
    /// child task of a group this call owns, so none can outlive it or fall out of its wait. After `drainTimeout`
    /// (from the end of the stream), those still running are cancelled (their transfers abort cleanly) and
    /// waited for as they unwind. Cancelling the task that runs this cancels every command at once.
    public func run(_ events: AsyncStream<GatewayEvent>, drainTimeout: Duration? = nil) async {
        let (idle, idleContinuation) = AsyncStream.makeStream(of: Void.self)
        self.idle = idleContinuation
        defer { self.idle = nil }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for await event in events { self.handle(event, in: &group) }
                self.eventsEnded = true
                self.finishIfIdle()
                guard let drainTimeout else { return }
                // Ends at once when the last command does; throwing cancels those still running.
                group.addTask {
                    let timedOut = await withTaskGroup(of: Bool.self) { race in
                        race.addTask { for await _ in idle {}; return false }
                        race.addTask { (try? await Task.sleep(for: drainTimeout)) != nil }
                        let first = await race.next() ?? false
                        race.cancelAll()
                        return first
                    }
                    if timedOut { throw DrainTimedOut() }
                }
            }
        } catch {
            self.logger.notice("commands still running after the drain timeout were cancelled")
        }
        self.eventsEnded = false
    }

    private struct DrainTimedOut: Error {}

    /// Commands running now (for the drain's "all done" signal).
    private var runningCount = 0
    private var eventsEnded = false
    private var idle: AsyncStream<Void>.Continuation?
    /// Work the event being handled started, for ``handle(_:in:)`` to add to the group.
    private var started: [@Sendable () async -> Void] = []

    private func finishIfIdle() {
        if self.eventsEnded, self.runningCount == 0 { self.idle?.finish() }
    }

    private func commandFinished() {
        self.runningCount -= 1
        self.finishIfIdle()
    }

    private func handle(_ event: GatewayEvent, in group: inout ThrowingDiscardingTaskGroup<any Error>) {
        self.handle(event)
        for work in self.started {
            self.runningCount += 1
            group.addTask { [weak self] in
                await work()
                await self?.commandFinished()
            }
        }
        self.started.removeAll()
    }

    private func handle(_ event: GatewayEvent) {
        switch event {
        case .ready(let ready):
            self.botUserID = ready.user.id
        case .messageCreate(let message):
            self.currentEvent = message.id
            defer { self.currentEvent = nil }
            self.handleMessage(message)
        case .interactionCreate(let interaction):
            self.currentEvent = interaction.id
            defer { self.currentEvent = nil }
            self.handleInteraction(interaction)
        case .guildCreate(let guild), .guildUpdate(let guild):
            for observer in self.guildObservers { observer(guild) }
        default:
            break
        }
    }

    private func spawn(_ work: @escaping @Sendable () async -> Void) {
        guard let admit = self.admit, let event = self.currentEvent else { return self.started.append(work) }
        let logger = self.logger
        self.started.append {
            guard await admit(event) else {
                logger.debug("left to another process", metadata: ["event": "\(event)"])
                return
            }
            await work()
        }
    }

    private func handleMessage(_ message: Message) {
        guard message.author.bot != true, message.author.id != self.botUserID else { return }
        guard let parsed = self.parser.parse(message.content) else { return }
        let replier = CommandReplier(rest: self.rest, origin: .message(message))
        let prefix = self.primaryPrefix
        // Only this bot's commands get an answer: a busy server's other `!` messages (another bot's prefix, "!!!",
        // "!it's") are not ours to reply to, and replies would spend the channel's rate limit.
        let command: PrefixCommand
        switch parsed {
        case .failure(let error):
            guard let word = self.parser.commandName(message.content), self.names[word] != nil else { return }
            self.spawn { try? await replier.send(MessagePayload(content: "That command is malformed: \(error).")) }
            return
        case .success(let c):
            command = c
        }
        guard let name = self.names[command.name], let spec = self.specs[name], let handler = self.handlers[name] else {
            return
        }
        var arguments: [String: JSONValue] = [:]
        var words = command.arguments[...]
        for option in spec.options where option.kind != .attachment {
            guard !words.isEmpty else { break }
            if option.takesRest {
                arguments[option.name] = .string(words.joined(separator: " "))
                words.removeAll()
            } else {
                let word = words.removeFirst()
                arguments[option.name] = switch option.kind {
                case .integer: Int(word).map(JSONValue.integer) ?? .string(word)
                case .number: Double(word).flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .string(word)
                default: .string(word)
                }
            }
        }
        let missing = spec.options.filter {
            $0.required && $0.kind != .attachment && arguments[$0.name] == nil
        }
        if !missing.isEmpty || !words.isEmpty {
            let usage = spec.usage(prefix: prefix)
            let problem = missing.isEmpty ? "too many arguments" : "missing \(missing.map(\.name).joined(separator: ", "))"
            self.spawn { try? await replier.send(MessagePayload(content: "Usage: `\(usage)` (\(problem)).")) }
            return
        }
        let invocation = CommandInvocation(
            command: name, arguments: arguments, attachments: message.attachments, user: message.author,
            member: message.member, channelID: message.channelID, guildID: message.guildID,
            attachmentSizeLimit: nil, origin: .message(message))
        self.run(handler, invocation, replier)
    }

    private func run(_ handler: @escaping Handler, _ invocation: CommandInvocation, _ replier: CommandReplier) {
        let describe = self.describe
        let logger = self.logger
        self.spawn {
            await replier.armAutoDefer()
            do {
                try await handler(invocation, replier)
                Counter(label: "discord_commands_total", dimensions: [("command", invocation.command), ("result", "ok")])
                    .increment()
            } catch {
                Counter(label: "discord_commands_total", dimensions: [("command", invocation.command), ("result", "error")])
                    .increment()
                logger.warning("command failed", metadata: ["command": "\(invocation.command)", "error": "\(error)"])
                try? await replier.send(MessagePayload(content: describe(error)))
            }
        }
    }

    private func invocation(for interaction: Interaction) -> CommandInvocation? {
        guard let data = interaction.data, let name = data.name, let user = interaction.invoker else { return nil }
        var arguments: [String: JSONValue] = [:]
        var attachments: [Attachment] = []
        for option in data.options ?? [] {
            if option.type == .attachment, let id = option.value?.description,
                let attachment = data.resolved?.attachments?[id]
            {
                attachments.append(attachment)
            } else if let value = option.value {
                arguments[option.name] = value
            }
        }
        return CommandInvocation(
            command: self.names[name.lowercased()] ?? name, arguments: arguments, attachments: attachments, user: user,
            member: interaction.member, channelID: interaction.channelID ?? "0", guildID: interaction.guildID,
            attachmentSizeLimit: interaction.attachmentSizeLimit, origin: .interaction(interaction))
    }

    private func handleInteraction(_ interaction: Interaction) {
        let rest = self.rest
        switch interaction.type {
        case .applicationCommand:
            let replier = CommandReplier(rest: rest, origin: .interaction(interaction))
            guard let invocation = self.invocation(for: interaction), let handler = self.handlers[invocation.command]
            else {
                self.spawn {
                    try? await replier.send(MessagePayload(
                        content: "This command is not served by this bot any more.", flags: MessagePayload.ephemeralFlag))
                }
                return
            }
            self.run(handler, invocation, replier)
        case .autocomplete:
            guard let invocation = self.invocation(for: interaction),
                let focused = interaction.data?.options?.first(where: { $0.focused == true })
            else { return }
            let completer = self.completers[invocation.command]
            self.spawn {
                let names = await completer?(invocation, focused.name, focused.value?.description ?? "") ?? []
                let choices = names.prefix(25).map(ApplicationCommand.Choice.fitting)
                try? await rest.respond(to: interaction, .autocomplete(Array(choices)))
            }
        case .messageComponent:
            let id = interaction.data?.customID ?? ""
            guard let match = self.components.first(where: { id.hasPrefix($0.prefix) }) else { return }
            let logger = self.logger
            self.spawn {
                do {
                    try await match.handler(interaction, rest)
                } catch {
                    logger.warning("button handler failed", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
        default:
            break
        }
    }
}
