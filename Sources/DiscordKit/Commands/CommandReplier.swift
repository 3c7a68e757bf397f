/// Answers one command, whichever way it came: a prefix command gets a reply message in its channel; a slash
/// command gets its interaction response (deferred automatically before Discord's 3-second deadline if the
/// handler has not answered yet), and later messages as follow-ups. ``edit(_:)`` changes the first answer:
/// that is the status message progress bars update.
///
/// Two of Discord's interaction rules are kept here so handlers need not know them:
/// - An automatic deferral is public. A first answer that is ephemeral then replaces the public "thinking"
///   message with an ephemeral follow-up, instead of being shown to everyone.
/// - An interaction's token lasts 15 minutes. Past ``tokenLifetime`` (or when Discord says the token is gone),
///   answers and edits go to the channel as ordinary messages that mention the user, so a long transfer's
///   progress and result are not lost.
public actor CommandReplier {
    private enum State {
        case fresh
        case deferring(Task<Void, any Error>)
        case deferred
        case answered

        var isFresh: Bool {
            if case .fresh = self { return true }
            return false
        }
    }

    /// How long the replier answers through the interaction's token (Discord's 15 minutes, less a margin for a
    /// request in flight).
    public static let tokenLifetime: Duration = .seconds(14 * 60 + 30)

    private let rest: DiscordRESTClient
    private let origin: CommandInvocation.Origin
    private let receivedAt: ContinuousClock.Instant
    private let now: @Sendable () -> ContinuousClock.Instant
    private var state = State.fresh
    /// Whether the deferral (ours or automatic) was ephemeral.
    private var deferredEphemerally = false
    private var firstMessage: Snowflake?
    /// After the token expired: the channel message that stands for the first answer (what ``edit(_:)`` edits).
    private var channelStandIn: Snowflake?
    private var tokenGone = false
    private var autoDefer: Task<Void, Never>?
    /// How many messages this replier sent (first answer and follow-ups).
    public private(set) var sentCount = 0

    /// - Parameters:
    ///   - receivedAt: when the interaction arrived (its token's 15 minutes run from then).
    ///   - now: the clock, injectable for tests.
    public init(
        rest: DiscordRESTClient, origin: CommandInvocation.Origin, receivedAt: ContinuousClock.Instant = .now,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.rest = rest
        self.origin = origin
        self.receivedAt = receivedAt
        self.now = now
    }

    /// Slash commands: defer if nothing was sent `delay` after the interaction arrived (Discord invalidates it 3 s
    /// after it was created). Counted from its arrival, not from now: on a loaded machine the command may start late,
    /// and a deferral 2 s after that could miss the window.
    func armAutoDefer(after delay: Duration = .milliseconds(1500)) {
        guard case .interaction = self.origin else { return }
        let deadline = self.receivedAt + delay
        self.autoDefer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard !Task.isCancelled else { return }
            try? await self?.acknowledge()
        }
    }

    /// Tells Discord the answer will take a while (slash commands: a deferred response, shown as "thinking";
    /// `ephemeral` makes it, and the answer that replaces it, visible to the user alone).
    public func acknowledge(ephemeral: Bool = false) async throws {
        guard case .interaction(let interaction) = self.origin, case .fresh = self.state else { return }
        let rest = self.rest
        let task = Task { try await rest.respond(to: interaction, .deferred(ephemeral: ephemeral)) }
        self.state = .deferring(task)
        self.deferredEphemerally = ephemeral
        do {
            try await task.value
            self.state = .deferred
        } catch {
            self.state = .fresh
            throw error
        }
    }

    private var tokenExpired: Bool {
        self.tokenGone || self.now() - self.receivedAt >= Self.tokenLifetime
    }

    /// Discord's answers when an interaction token is no longer valid.
    private static func isTokenGone(_ error: any Error) -> Bool {
        guard let error = error as? DiscordRESTError else { return false }
        return [50027, 10015, 10062].contains(error.code ?? 0) || error.status == 401
    }

    /// Sends a message: the first answer, then follow-ups.
    public func send(_ payload: MessagePayload, files: [FileUpload] = []) async throws {
        self.autoDefer?.cancel()
        if case .deferring(let task) = self.state { try? await task.value }
        switch self.origin {
        case .message(let message):
            var payload = payload
            if self.firstMessage == nil {
                payload.messageReference = .init(messageID: message.id)
            }
            let sent = try await self.rest.createMessage(channel: message.channelID, Self.public(payload), files: files)
            if self.firstMessage == nil { self.firstMessage = sent.id }
        case .interaction(let interaction):
            if self.tokenExpired, !(self.state.isFresh) {
                try await self.sendToChannel(payload, files: files, for: interaction)
            } else {
                do {
                    try await self.answer(interaction, payload, files: files)
                } catch where Self.isTokenGone(error) && !self.state.isFresh {
                    self.tokenGone = true
                    try await self.sendToChannel(payload, files: files, for: interaction)
                }
            }
        }
        self.sentCount += 1
    }

    private func answer(_ interaction: Interaction, _ payload: MessagePayload, files: [FileUpload]) async throws {
        let app = interaction.applicationID
        switch self.state {
        case .fresh:
            self.state = .answered
            do {
                try await self.rest.respond(to: interaction, .message(payload), files: files)
            } catch {
                self.state = .fresh
                throw error
            }
        case .deferred, .deferring:
            self.state = .answered
            let wantsEphemeral = (payload.flags ?? 0) & MessagePayload.ephemeralFlag != 0
            if wantsEphemeral, !self.deferredEphemerally {
                // The public "thinking" message would become a public answer: remove it, answer privately.
                try? await self.rest.deleteOriginalResponse(applicationID: app, token: interaction.token)
                try await self.rest.createFollowup(applicationID: app, token: interaction.token, payload, files: files)
            } else {
                try await self.rest.editOriginalResponse(applicationID: app, token: interaction.token, payload, files: files)
            }
        case .answered:
            try await self.rest.createFollowup(applicationID: app, token: interaction.token, payload, files: files)
        }
    }

    /// The token is gone: a channel message mentioning the user (ephemeral answers cannot be private any more).
    private func sendToChannel(_ payload: MessagePayload, files: [FileUpload], for interaction: Interaction) async throws {
        guard let channel = interaction.channelID else { return }
        var payload = Self.public(payload)
        if let user = interaction.invoker?.id {
            payload.content = user.userMention + " " + (payload.content ?? "")
            payload.allowedMentions = AllowedMentions(parse: [], users: [user])
        }
        let sent = try await self.rest.createMessage(channel: channel, payload, files: files)
        if self.channelStandIn == nil { self.channelStandIn = sent.id }
    }

    /// EPHEMERAL exists only for interaction responses; a channel message carrying it is refused.
    private static func `public`(_ payload: MessagePayload) -> MessagePayload {
        var payload = payload
        if let flags = payload.flags {
            let rest = flags & ~MessagePayload.ephemeralFlag
            payload.flags = rest == 0 ? nil : rest
        }
        return payload
    }

    /// Replaces the first answer's content (sends it if there is none yet).
    public func edit(_ payload: MessagePayload) async throws {
        switch self.origin {
        case .message(let message):
            guard let id = self.firstMessage else { return try await self.send(payload) }
            try await self.rest.editMessage(channel: message.channelID, message: id, Self.public(payload))
        case .interaction(let interaction):
            if case .fresh = self.state { return try await self.send(payload) }
            if case .deferring(let task) = self.state { try? await task.value }
            self.state = .answered
            if !self.tokenExpired {
                do {
                    try await self.rest.editOriginalResponse(
                        applicationID: interaction.applicationID, token: interaction.token, payload)
                    return
                } catch where Self.isTokenGone(error) {
                    self.tokenGone = true
                }
            }
            if let id = self.channelStandIn, let channel = interaction.channelID {
                var payload = Self.public(payload)
                if let user = interaction.invoker?.id { payload.content = user.userMention + " " + (payload.content ?? "") }
                try await self.rest.editMessage(channel: channel, message: id, payload)
            } else {
                try await self.sendToChannel(payload, files: [], for: interaction)
            }
        }
    }

    /// Whether anything was sent (or the interaction at least acknowledged).
    public var hasAnswered: Bool {
        if case .fresh = self.state { return self.sentCount > 0 }
        return true
    }
}
