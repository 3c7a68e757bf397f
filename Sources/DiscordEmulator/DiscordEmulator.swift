public import DiscordKit
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An offline Discord: REST API v10, the gateway (JSON, optional zlib-stream) and a CDN for attachments, on a
/// loopback port. It keeps guilds, channels, messages, interactions and slash commands; enforces the rules a
/// bot gets wrong (token, rate limits with real headers and 429s, upload size limits, the 3-second interaction
/// deadline, empty or oversized messages, privileged intents); and lets a test act as users (messages with
/// attachments, slash commands, buttons, autocomplete) and as a misbehaving Discord (429s, 5xx, dropped
/// sockets, close codes, RECONNECT, INVALID_SESSION, missing heartbeat ACKs).
public actor DiscordEmulator {
    public struct Configuration: Sendable {
        public var token: String
        public var botUser: User
        public var applicationID: Snowflake
        public var guilds: [Guild]
        public var channels: [DiscordKit.Channel]
        public var heartbeatIntervalMilliseconds: Int
        /// Whether the bot may ask for the privileged Message Content intent (else IDENTIFY gets 4014).
        public var messageContentIntentAllowed: Bool
        /// Message create/edit bucket per channel: `limit` requests per `window` seconds.
        public var messageBucket: (limit: Int, window: Double)
        public var interactionDeadline: Duration
        /// What `GET /gateway/bot` recommends.
        public var recommendedShards = 1
        /// The CDN's speed in bytes per second (`nil`: as fast as loopback), to make transfers last.
        public var cdnBytesPerSecond: Int?

        public init(
            token: String = "emulator-token",
            botUser: User = User(id: "1000", username: "seed-bot", bot: true),
            applicationID: Snowflake = "1000",
            guilds: [Guild] = [Guild(id: "2000", name: "Emulated guild")],
            channels: [DiscordKit.Channel] = [DiscordKit.Channel(id: "3000", type: 0, guildID: "2000", name: "files"),
                                   DiscordKit.Channel(id: "3001", type: 0, guildID: "2000", name: "other")],
            heartbeatIntervalMilliseconds: Int = 41_250, messageContentIntentAllowed: Bool = true,
            messageBucket: (limit: Int, window: Double) = (5, 5), interactionDeadline: Duration = .seconds(3)
        ) {
            self.token = token
            self.botUser = botUser
            self.applicationID = applicationID
            self.guilds = guilds
            self.channels = channels
            self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
            self.messageContentIntentAllowed = messageContentIntentAllowed
            self.messageBucket = messageBucket
            self.interactionDeadline = interactionDeadline
        }
    }

    /// A scripted failure for REST calls whose path starts with `pathPrefix` (after `/api/v10`).
    public struct Fault: Sendable {
        public var method: String?
        public var pathPrefix: String
        public var status: Int
        public var remaining: Int
        public var retryAfter: Double
        public var scope: String
        /// Held this long before answering (a slow Discord); with `status` 200 the request then proceeds.
        public var delay: Duration

        public init(method: String? = nil, pathPrefix: String, status: Int, count: Int = 1, retryAfter: Double = 0.2,
                    scope: String = "user", delay: Duration = .zero) {
            self.delay = delay
            self.method = method
            self.pathPrefix = pathPrefix
            self.status = status
            self.remaining = count
            self.retryAfter = retryAfter
            self.scope = scope
        }
    }

    struct InteractionRecord {
        var interaction: Interaction
        var created: ContinuousClock.Instant
        var response: InteractionResponse?
        var originalMessage: Snowflake?
    }

    struct Session {
        var shard = (id: 0, count: 1)
        var sequence = 0
        var buffer: [(seq: Int, text: String)] = []
        var connection: Int?
    }

    final class Connection: Sendable {
        let id: Int
        let channel: any NIOCore.Channel
        let compress: Bool
        init(id: Int, channel: any NIOCore.Channel, compress: Bool) {
            self.id = id
            self.channel = channel
            self.compress = compress
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private var serverChannels: [any NIOCore.Channel] = []
    /// The REST and CDN port.
    public internal(set) var port = 0
    public internal(set) var gatewayPort = 0
    let clock = ContinuousClock()
    private var nextID: UInt64 = 1

    // Discord's state.
    var messages: [Snowflake: Message] = [:]
    var channelOrder: [Snowflake: [Snowflake]] = [:]
    var interactions: [String: InteractionRecord] = [:]
    var attachmentsByPath: [String: Data] = [:]
    public internal(set) var globalCommands: [ApplicationCommand] = []
    public internal(set) var guildCommands: [Snowflake: [ApplicationCommand]] = [:]

    // REST bookkeeping.
    public internal(set) var requests: [RecordedRequest] = []
    var faults: [Fault] = []
    var buckets: [String: (count: Int, windowStart: ContinuousClock.Instant)] = [:]

    // Gateway state.
    var connections: [Int: Connection] = [:]
    var deflaters: [Int: ZlibStreamDeflater] = [:]
    var connectionSession: [Int: String] = [:]
    var sessions: [String: Session] = [:]
    var nextConnection = 1
    public internal(set) var identifyCount = 0
    public internal(set) var resumeCount = 0
    public internal(set) var heartbeatCount = 0
    public internal(set) var gatewayConnectionCount = 0
    /// The last IDENTIFY's intents.
    public internal(set) var lastIntents: Int?
    public var acknowledgesHeartbeats = true

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "DiscordEmulator")) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: - Lifecycle

    /// Starts listening on two ephemeral loopback ports: REST and CDN on one, the gateway on the other (as
    /// Discord's are different hosts: an HTTP client that pools connections never sends the WebSocket upgrade
    /// on a connection that served REST calls).
    @discardableResult
    public func start() async throws -> Int {
        let emulator = self
        let rest = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EmulatorHTTPHandler(emulator: emulator))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let gateway = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configureGateway(channel: channel, emulator: emulator)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.serverChannels = [rest, gateway]
        self.port = rest.localAddress?.port ?? 0
        self.gatewayPort = gateway.localAddress?.port ?? 0
        return self.port
    }

    private static func configureGateway(channel: any NIOCore.Channel, emulator: DiscordEmulator) throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
                return channel.eventLoop.makeSucceededFuture(path == "/" ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let (_, query) = EmulatorHTTPHandler.split(head.uri)
                    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
                    try channel.pipeline.syncOperations.addHandler(EmulatorGatewayHandler(continuation: continuation))
                    let compress = query["compress"] == "zlib-stream"
                    Task { await emulator.gatewayOpened(channel: channel, compress: compress, frames: stream) }
                }
            })
        // Anything that is not an upgrade gets the REST handler's 404.
        let http = EmulatorHTTPHandler(emulator: emulator)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.removeHandler(name: "emulator-http", promise: nil)
            }))
        try channel.pipeline.syncOperations.addHandler(http, name: "emulator-http")
    }

    public func shutdown() async {
        for connection in self.connections.values { try? await connection.channel.close() }
        self.connections.removeAll()
        for channel in self.serverChannels { try? await channel.close() }
        self.serverChannels = []
    }

    public var apiBaseURL: String { "http://127.0.0.1:\(self.port)/api/v10" }
    public var gatewayURL: String { "ws://127.0.0.1:\(self.gatewayPort)" }

    func makeID() -> Snowflake {
        let ms = UInt64(Date().timeIntervalSince1970 * 1000) - 1_420_070_400_000
        self.nextID += 1
        return Snowflake((ms << 22) | (self.nextID & 0x3FFFFF))
    }

    // MARK: - Acting as users

    /// A user posts a message (with files) in a channel; the bot receives MESSAGE_CREATE.
    @discardableResult
    public func postMessage(
        channel: Snowflake, author: User, roles: [Snowflake] = [], content: String,
        files: [(filename: String, data: Data)] = []
    ) -> Message {
        let id = self.makeID()
        let attachments = files.map { self.storeAttachment(channel: channel, filename: $0.filename, data: $0.data) }
        let guild = self.configuration.channels.first { $0.id == channel }?.guildID
        let message = Message(
            id: id, channelID: channel, guildID: guild, author: author,
            member: guild == nil ? nil : GuildMember(roles: roles), content: content, attachments: attachments)
        self.store(message)
        self.dispatch("MESSAGE_CREATE", message, guild: guild)
        return message
    }

    func storeAttachment(channel: Snowflake, filename: String, data: Data) -> Attachment {
        let id = self.makeID()
        let safe = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "._-"))) ?? "file"
        let path = "/attachments/\(channel)/\(id)/\(safe)"
        self.attachmentsByPath[path] = data
        return Attachment(id: id, filename: filename, size: data.count, url: "http://127.0.0.1:\(self.port)\(path)")
    }

    func store(_ message: Message) {
        if self.messages[message.id] == nil { self.channelOrder[message.channelID, default: []].append(message.id) }
        self.messages[message.id] = message
    }

    /// A user runs a slash command; the bot receives INTERACTION_CREATE. `files` fill attachment options by name.
    @discardableResult
    public func invokeCommand(
        _ name: String, options: [String: JSONValue] = [:], files: [String: (filename: String, data: Data)] = [:],
        user: User, roles: [Snowflake] = [], channel: Snowflake, attachmentSizeLimit: Int? = nil
    ) -> Interaction {
        var opts = options.sorted { $0.key < $1.key }.map {
            Interaction.Option(name: $0.key, type: Self.optionType($0.value), value: $0.value)
        }
        var resolved: [String: Attachment] = [:]
        for (option, file) in files.sorted(by: { $0.key < $1.key }) {
            let attachment = self.storeAttachment(channel: channel, filename: file.filename, data: file.data)
            resolved[attachment.id.rawValue] = attachment
            opts.append(Interaction.Option(name: option, type: .attachment, value: .string(attachment.id.rawValue)))
        }
        let data = Interaction.Data(
            id: self.makeID(), name: name, options: opts,
            resolved: resolved.isEmpty ? nil : Interaction.Resolved(attachments: resolved))
        return self.interact(type: .applicationCommand, data: data, user: user, roles: roles, channel: channel,
                             attachmentSizeLimit: attachmentSizeLimit)
    }

    /// A user types in an autocompleted option; returns the interaction (its choices arrive as its response).
    @discardableResult
    public func requestAutocomplete(
        _ name: String, option: String, typed: String, user: User, channel: Snowflake
    ) -> Interaction {
        let data = Interaction.Data(
            id: self.makeID(), name: name,
            options: [Interaction.Option(name: option, type: .string, value: .string(typed), focused: true)])
        return self.interact(type: .autocomplete, data: data, user: user, roles: [], channel: channel,
                             attachmentSizeLimit: nil)
    }

    /// A user presses a button on a message.
    @discardableResult
    public func pressButton(message: Snowflake, customID: String, user: User, roles: [Snowflake] = []) -> Interaction? {
        guard let target = self.messages[message] else { return nil }
        let data = Interaction.Data(customID: customID, componentType: 2)
        return self.interact(type: .messageComponent, data: data, user: user, roles: roles, channel: target.channelID,
                             attachmentSizeLimit: nil, message: target)
    }

    private func interact(
        type: Interaction.Kind, data: Interaction.Data, user: User, roles: [Snowflake], channel: Snowflake,
        attachmentSizeLimit: Int?, message: Message? = nil
    ) -> Interaction {
        let guild = self.configuration.channels.first { $0.id == channel }?.guildID
        let limit = attachmentSizeLimit ?? self.uploadLimit(channel: channel)
        let interaction = Interaction(
            id: self.makeID(), applicationID: self.configuration.applicationID, type: type, data: data,
            guildID: guild, channelID: channel,
            member: guild == nil ? nil : GuildMember(user: user, roles: roles), user: guild == nil ? user : nil,
            token: "itk-" + UUID().uuidString, attachmentSizeLimit: limit, message: message)
        self.interactions[interaction.token] = InteractionRecord(interaction: interaction, created: self.clock.now)
        self.dispatch("INTERACTION_CREATE", interaction, guild: guild)
        return interaction
    }

    static func optionType(_ value: JSONValue) -> ApplicationCommand.OptionType {
        switch value {
        case .string: .string
        case .integer: .integer
        case .number: .number
        case .bool: .boolean
        }
    }

    func uploadLimit(channel: Snowflake) -> Int {
        let guildID = self.configuration.channels.first { $0.id == channel }?.guildID
        return self.configuration.guilds.first { $0.id == guildID }?.attachmentSizeLimit ?? (10 << 20)
    }

    // MARK: - Observing

    public func messages(in channel: Snowflake) -> [Message] {
        (self.channelOrder[channel] ?? []).compactMap { self.messages[$0] }
    }

    public func message(_ id: Snowflake) -> Message? { self.messages[id] }

    public func response(to interaction: Interaction) -> InteractionResponse? {
        self.interactions[interaction.token]?.response
    }

    /// The message an interaction's response created (or a deferred one was edited into).
    public func originalMessage(of interaction: Interaction) -> Message? {
        self.interactions[interaction.token]?.originalMessage.flatMap { self.messages[$0] }
    }

    /// The bytes behind an attachment URL this emulator issued.
    public func attachmentData(url: String) -> Data? {
        guard let range = url.range(of: "/attachments/") else { return nil }
        return self.attachmentsByPath[String(url[range.lowerBound...])]
    }

    /// Waits until `probe` returns a value, checking every 20 ms (a test helper).
    @discardableResult
    public func wait<T: Sendable>(
        timeout: Duration = .seconds(20), _ what: String = "condition",
        _ probe: @Sendable (isolated DiscordEmulator) -> T?
    ) async throws -> T {
        let deadline = self.clock.now + timeout
        while true {
            if let value = probe(self) { return value }
            guard self.clock.now < deadline else { throw EmulatorTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Misbehaving

    public func inject(_ fault: Fault) { self.faults.append(fault) }

    /// Ages an interaction past its 3-second deadline, as if the bot had been too slow.
    public func expire(_ interaction: Interaction) {
        self.interactions[interaction.token]?.created = self.clock.now - self.configuration.interactionDeadline
    }
}

public struct EmulatorTimeout: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(self.what)" }
}
