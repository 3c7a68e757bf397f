import Foundation
import NIOHTTP1

/// The endpoints a bot needs, typed.
extension DiscordRESTClient {
    // MARK: Identity and gateway

    /// `GET /gateway/bot`: the gateway URL, recommended shards and the identify budget.
    public func gatewayBot() async throws -> GatewayBot {
        try await self.send(Route(.GET, "/gateway/bot"), as: GatewayBot.self)
    }

    /// `GET /users/@me`: the bot's own user (also how a token is checked).
    public func currentUser() async throws -> User {
        try await self.send(Route(.GET, "/users/@me"), as: User.self)
    }

    /// `GET /applications/@me`.
    public func currentApplication() async throws -> Application {
        try await self.send(Route(.GET, "/applications/@me"), as: Application.self)
    }

    /// `GET /channels/{id}`.
    public func channel(_ id: Snowflake) async throws -> Channel {
        try await self.send(Route(.GET, "/channels/\(Route.segment(id.rawValue))"), as: Channel.self)
    }

    /// `GET /guilds/{id}` (its boost tier decides the upload limit).
    public func guild(_ id: Snowflake) async throws -> Guild {
        try await self.send(Route(.GET, "/guilds/\(Route.segment(id.rawValue))"), as: Guild.self)
    }

    // MARK: Messages

    /// `POST /channels/{id}/messages`, with files as multipart when there are any.
    @discardableResult
    public func createMessage(channel: Snowflake, _ payload: MessagePayload, files: [FileUpload] = []) async throws
        -> Message
    {
        let route = Route(.POST, "/channels/\(Route.segment(channel.rawValue))/messages")
        return try await self.send(route, body: self.body(payload, files: files, route: route), as: Message.self)
    }

    /// `PATCH /channels/{channel}/messages/{message}`: replaces what `payload` sets.
    @discardableResult
    public func editMessage(channel: Snowflake, message: Snowflake, _ payload: MessagePayload) async throws -> Message {
        let route = Route(
            .PATCH, "/channels/\(Route.segment(channel.rawValue))/messages/\(Route.segment(message.rawValue))")
        return try await self.send(route, body: self.body(payload, files: [], route: route), as: Message.self)
    }

    /// `DELETE /channels/{channel}/messages/{message}`.
    public func deleteMessage(channel: Snowflake, message: Snowflake) async throws {
        try await self.send(
            Route(.DELETE, "/channels/\(Route.segment(channel.rawValue))/messages/\(Route.segment(message.rawValue))"))
    }

    // MARK: Interactions

    /// `POST /interactions/{id}/{token}/callback`: the answer Discord wants within 3 seconds.
    public func respond(to interaction: Interaction, _ response: InteractionResponse, files: [FileUpload] = [])
        async throws
    {
        let route = Route(
            .POST,
            "/interactions/\(Route.segment(interaction.id.rawValue))/\(Route.segment(interaction.token))/callback")
        let response = response.fittingLimits()
        if files.isEmpty {
            try await self.send(route, body: .json(self.encode(response, route: route)))
        } else {
            var response = response
            response.data = response.data ?? InteractionResponse.CallbackData(message: MessagePayload())
            let json = try self.encode(response, route: route)
            try await self.send(route, body: .multipart(MultipartBody(payloadJSON: json, files: files)))
        }
    }

    /// `PATCH /webhooks/{app}/{token}/messages/@original`: edits the first response (or fills a deferred one).
    @discardableResult
    public func editOriginalResponse(
        applicationID: Snowflake, token: String, _ payload: MessagePayload, files: [FileUpload] = []
    ) async throws -> Message {
        let route = Route(
            .PATCH,
            "/webhooks/\(Route.segment(applicationID.rawValue))/\(Route.segment(token))/messages/@original")
        return try await self.send(route, body: self.body(payload, files: files, route: route), as: Message.self)
    }

    /// `DELETE /webhooks/{application}/{token}/messages/@original`: removes an interaction's first answer.
    public func deleteOriginalResponse(applicationID: Snowflake, token: String) async throws {
        try await self.send(
            Route(.DELETE,
                  "/webhooks/\(Route.segment(applicationID.rawValue))/\(Route.segment(token))/messages/@original"))
    }

    /// `POST /webhooks/{app}/{token}`: a follow-up message (valid 15 minutes after the interaction).
    @discardableResult
    public func createFollowup(
        applicationID: Snowflake, token: String, _ payload: MessagePayload, files: [FileUpload] = []
    ) async throws -> Message {
        // `wait=true`: Discord answers a follow-up with the message only when asked (else 204, no body).
        let route = Route(.POST, "/webhooks/\(Route.segment(applicationID.rawValue))/\(Route.segment(token))?wait=true")
        return try await self.send(route, body: self.body(payload, files: files, route: route), as: Message.self)
    }

    // MARK: Application commands

    /// `PUT /applications/{app}/commands`: replaces every global command.
    @discardableResult
    public func overwriteGlobalCommands(applicationID: Snowflake, _ commands: [ApplicationCommand]) async throws
        -> [ApplicationCommand]
    {
        let route = Route(.PUT, "/applications/\(Route.segment(applicationID.rawValue))/commands")
        return try await self.send(route, body: .json(self.encode(commands, route: route)), as: [ApplicationCommand].self)
    }

    /// `PUT /applications/{app}/guilds/{guild}/commands`: replaces one guild's commands (instant, for testing).
    @discardableResult
    public func overwriteGuildCommands(
        applicationID: Snowflake, guild: Snowflake, _ commands: [ApplicationCommand]
    ) async throws -> [ApplicationCommand] {
        let route = Route(
            .PUT,
            "/applications/\(Route.segment(applicationID.rawValue))/guilds/\(Route.segment(guild.rawValue))/commands")
        return try await self.send(route, body: .json(self.encode(commands, route: route)), as: [ApplicationCommand].self)
    }

    // MARK: -

    /// Every message body passes here: fitted to Discord's limits (``MessageLimits``), then JSON or multipart.
    private func body(_ payload: MessagePayload, files: [FileUpload], route: Route) throws(DiscordRESTError) -> Body {
        var payload = payload.fittingLimits()
        guard !files.isEmpty else { return .json(try self.encode(payload, route: route)) }
        payload.attachments = files.enumerated().map { .init(id: $0.offset, filename: $0.element.filename) }
        return .multipart(MultipartBody(payloadJSON: try self.encode(payload, route: route), files: files))
    }
}
