/// Answers one command, whichever way it came: a prefix command gets a reply message in its channel; a slash
/// command gets its interaction response (deferred automatically before Discord's 3-second deadline if the
/// handler has not answered yet), and later messages as follow-ups. ``edit(_:)`` changes the first answer:
/// that is the status message progress bars update.
public actor CommandReplier {
    private enum State {
        case fresh
        case deferring(Task<Void, any Error>)
        case deferred
        case answered
    }

    private let rest: DiscordRESTClient
    private let origin: CommandInvocation.Origin
    private var state = State.fresh
    private var firstMessage: Snowflake?
    private var autoDefer: Task<Void, Never>?
    /// How many messages this replier sent (first answer and follow-ups).
    public private(set) var sentCount = 0

    public init(rest: DiscordRESTClient, origin: CommandInvocation.Origin) {
        self.rest = rest
        self.origin = origin
    }

    /// Slash commands: defer if nothing was sent after `delay` (Discord invalidates the interaction at 3 s).
    func armAutoDefer(after delay: Duration = .milliseconds(2000)) {
        guard case .interaction = self.origin else { return }
        self.autoDefer = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            try? await self?.acknowledge()
        }
    }

    /// Tells Discord the answer will take a while (slash commands: a deferred response, shown as "thinking").
    public func acknowledge() async throws {
        guard case .interaction(let interaction) = self.origin, case .fresh = self.state else { return }
        let rest = self.rest
        let task = Task { try await rest.respond(to: interaction, .deferred()) }
        self.state = .deferring(task)
        do {
            try await task.value
            self.state = .deferred
        } catch {
            self.state = .fresh
            throw error
        }
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
            // EPHEMERAL exists only for interaction responses; a channel message carrying it is refused.
            if let flags = payload.flags { payload.flags = flags & ~MessagePayload.ephemeralFlag == 0 ? nil : flags & ~MessagePayload.ephemeralFlag }
            let sent = try await self.rest.createMessage(channel: message.channelID, payload, files: files)
            if self.firstMessage == nil { self.firstMessage = sent.id }
        case .interaction(let interaction):
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
                try await self.rest.editOriginalResponse(
                    applicationID: interaction.applicationID, token: interaction.token, payload, files: files)
            case .answered:
                try await self.rest.createFollowup(
                    applicationID: interaction.applicationID, token: interaction.token, payload, files: files)
            }
        }
        self.sentCount += 1
    }

    /// Replaces the first answer's content (sends it if there is none yet).
    public func edit(_ payload: MessagePayload) async throws {
        switch self.origin {
        case .message(let message):
            guard let id = self.firstMessage else { return try await self.send(payload) }
            try await self.rest.editMessage(channel: message.channelID, message: id, payload)
        case .interaction(let interaction):
            if case .fresh = self.state { return try await self.send(payload) }
            if case .deferring(let task) = self.state { try? await task.value }
            self.state = .answered
            try await self.rest.editOriginalResponse(
                applicationID: interaction.applicationID, token: interaction.token, payload)
        }
    }

    /// Whether anything was sent (or the interaction at least acknowledged).
    public var hasAnswered: Bool {
        if case .fresh = self.state { return self.sentCount > 0 }
        return true
    }
}
