public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// An offline Discord: REST API v10, the gateway (JSON, optional zlib-stream, a separate resume URL) and a CDN for
/// attachments, on loopback ports, plus a control API (JSON over HTTP under `/control`) through which a test in
/// any language acts as users and as a misbehaving Discord.
///
/// Its rules are Discord's documented ones, stated in this module (``DiscordRules``, the route table, message,
/// command and file-name rules) and checked on Discord's wire shapes; it imports no client's models, so a client
/// that misreads a rule is refused here as it would be by Discord: intents, upload limits by boost tier,
/// file-name rewriting, the 3-second first answer and 15-minute interaction tokens (on a clock tests can move),
/// ephemeral messages, choice and embed limits with Discord's 400/50035 body, command registration checks,
/// per-route and global rate limits, the invalid-request ban, and gateway close codes 4002–4014.
public actor DiscordEmulator {
    /// The emulated world: the bot, its token, guilds and channels.
    public struct Configuration: Sendable {
        /// The token the bot must present (`Authorization: Bot TOKEN`).
        public var token: String
        /// The bot's own user.
        public var botUser: EmulatedUser
        /// The bot's application id.
        public var applicationID: String
        /// The guilds the bot is in.
        public var guilds: [EmulatedGuild]
        /// Their channels and direct-message channels.
        public var channels: [EmulatedChannel]
        /// The heartbeat interval HELLO announces.
        public var heartbeatIntervalMilliseconds: Int
        /// Whether the bot may ask for the privileged Message Content intent (else IDENTIFY gets 4014).
        public var messageContentIntentAllowed: Bool
        /// Message create/edit bucket per channel: `limit` requests per `window` seconds.
        public var messageBucket: (limit: Int, window: Double)
        /// What `GET /gateway/bot` recommends.
        public var recommendedShards: Int
        /// `session_start_limit.max_concurrency`: IDENTIFYs allowed per 5 seconds per rate-limit key.
        public var maxConcurrency: Int
        /// The CDN's speed in bytes per second (`nil`: as fast as loopback), to make transfers last.
        public var cdnBytesPerSecond: Int?
        /// Requests per second across routes (interaction endpoints excluded) before a global 429.
        public var globalRequestsPerSecond: Int
        /// Invalid requests (401, 403, 429 other than `shared`) per 10 minutes before the address is banned.
        public var invalidRequestLimit: Int
        /// How long a ban lasts (Cloudflare's HTML 429 to every request).
        public var banDuration: Duration
        /// How long a session whose socket closed stays resumable (then RESUME gets 4009).
        public var sessionLifetime: Duration
        /// The window for an interaction's first answer: Discord's 3 seconds; a test on a loaded machine may give
        /// more (and ``DiscordEmulator/advanceClock(by:)`` ages interactions on demand).
        public var interactionDeadline: Duration
        /// How often each identify rate-limit key may IDENTIFY (Discord: 5 s; tests may shorten it).
        public var identifyInterval: Duration = .seconds(5)

        /// A world; the defaults hold one guild with two text channels and Discord's limits.
        public init(
            token: String = "emulator-token",
            botUser: EmulatedUser = EmulatedUser(id: "1000", username: "seed-bot", bot: true),
            applicationID: String = "1000",
            guilds: [EmulatedGuild] = [EmulatedGuild(id: "2000", name: "Emulated guild")],
            channels: [EmulatedChannel] = [EmulatedChannel(id: "3000", guildID: "2000", name: "files"),
                                           EmulatedChannel(id: "3001", guildID: "2000", name: "other")],
            heartbeatIntervalMilliseconds: Int = 41_250, messageContentIntentAllowed: Bool = true,
            messageBucket: (limit: Int, window: Double) = (5, 5), recommendedShards: Int = 1, maxConcurrency: Int = 1,
            cdnBytesPerSecond: Int? = nil, globalRequestsPerSecond: Int = DiscordRules.globalRequestsPerSecond,
            invalidRequestLimit: Int = DiscordRules.invalidRequestsPerWindow, banDuration: Duration = .seconds(60),
            sessionLifetime: Duration = .seconds(120), interactionDeadline: Duration = DiscordRules.initialResponseWindow
        ) {
            self.interactionDeadline = interactionDeadline
            self.token = token
            self.botUser = botUser
            self.applicationID = applicationID
            self.guilds = guilds
            self.channels = channels
            self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
            self.messageContentIntentAllowed = messageContentIntentAllowed
            self.messageBucket = messageBucket
            self.recommendedShards = recommendedShards
            self.maxConcurrency = maxConcurrency
            self.cdnBytesPerSecond = cdnBytesPerSecond
            self.globalRequestsPerSecond = globalRequestsPerSecond
            self.invalidRequestLimit = invalidRequestLimit
            self.banDuration = banDuration
            self.sessionLifetime = sessionLifetime
        }
    }

    /// A scripted failure for REST calls whose path starts with `pathPrefix` (after `/api/v10`).
    public struct Fault: Sendable {
        /// The method to match (`nil`: any).
        public var method: String?
        /// The path prefix to match (under `/api/v10`).
        public var pathPrefix: String
        /// 429 (with `scope`), any 4xx/5xx, or 200 with a `delay` (a slow Discord that then answers normally).
        public var status: Int
        /// How many more requests the fault answers.
        public var remaining: Int
        /// The `Retry-After` of a 429, in seconds.
        public var retryAfter: Double
        /// `user`, `global` or `shared`.
        public var scope: String
        /// How long to wait before answering.
        public var delay: Duration
        /// With status 200: send only this many bytes of the body, then nothing more while the connection stays
        /// open (a CDN or front end that stalls mid-answer).
        public var stallAfterBytes: Int?
        /// Read only this many bytes of a matching request's body, then stop reading it while the connection stays
        /// open (a Discord that stops taking an upload); the status is not used.
        public var stopReadingAfterBytes: Int?

        /// A fault answering `count` matching requests with `status`.
        public init(method: String? = nil, pathPrefix: String, status: Int, count: Int = 1, retryAfter: Double = 0.2,
                    scope: String = "user", delay: Duration = .zero, stallAfterBytes: Int? = nil,
                    stopReadingAfterBytes: Int? = nil) {
            self.delay = delay
            self.stopReadingAfterBytes = stopReadingAfterBytes
            self.stallAfterBytes = stallAfterBytes
            self.method = method
            self.pathPrefix = pathPrefix
            self.status = status
            self.remaining = count
            self.retryAfter = retryAfter
            self.scope = scope
        }
    }

    struct Session {
        var shard = (id: 0, count: 1)
        var intents = 0
        var sequence = 0
        var buffer: [(seq: Int, text: String)] = []
        var connection: Int?
        var disconnectedAt: ContinuousClock.Instant?
    }

    final class Connection: Sendable {
        let id: Int
        let channel: any NIOCore.Channel
        let compress: Bool
        let onResumeURL: Bool
        init(id: Int, channel: any NIOCore.Channel, compress: Bool, onResumeURL: Bool) {
            self.id = id
            self.channel = channel
            self.compress = compress
            self.onResumeURL = onResumeURL
        }
    }

    /// The world as configured (and as changed since through the control API).
    public private(set) var configuration: Configuration
    let logger: Logger
    private var serverChannels: [any NIOCore.Channel] = []
    /// The REST, CDN and control port.
    public internal(set) var port = 0
    /// The gateway's port.
    public internal(set) var gatewayPort = 0
    /// The port of `resume_gateway_url` (Discord resumes on another host than the first connection's).
    public internal(set) var resumeGatewayPort = 0
    let realClock = ContinuousClock()
    /// How far tests moved the clock ahead (interaction deadlines and tokens, session lifetimes).
    private(set) var clockOffset: Duration = .zero
    private var nextID: UInt64 = 1
    var routes: RouteTable

    // Discord's state.
    var users: [String: EmulatedUser] = [:]
    var memberRoles: [String: [String: [String]]] = [:]
    var messageStore: [String: EmulatorJSON] = [:]
    var channelOrder: [String: [String]] = [:]
    /// Ephemeral message → the only user who sees it.
    var ephemeralViewer: [String: String] = [:]
    var interactions: [String: EmulatedInteraction] = [:]
    var attachmentsByPath: [String: Data] = [:]
    /// Channels where the bot lacks ATTACH_FILES (a permission overwrite denying it).
    var attachFilesDenied: Set<String> = []
    var globalCommandList: [EmulatorJSON] = []
    var guildCommandLists: [String: [EmulatorJSON]] = [:]

    // REST bookkeeping.
    /// Every REST request answered, in order.
    public internal(set) var requests: [RecordedRequest] = []
    var faults: [Fault] = []
    /// Faults that stop reading request bodies: taken by the channel handlers, synchronously, as a head arrives.
    nonisolated let readStalls = Mutex<[Fault]>([])
    var buckets: [String: (count: Int, windowStart: ContinuousClock.Instant)] = [:]
    var globalWindow: (count: Int, start: ContinuousClock.Instant)?
    var invalidRequests: [ContinuousClock.Instant] = []
    var bannedUntil: ContinuousClock.Instant?
    /// How many REST answers were 400 with code 50035 (a client sending what Discord refuses).
    public internal(set) var formErrorCount = 0

    // Gateway state.
    var connections: [Int: Connection] = [:]
    var compressors: [Int: StreamCompressor] = [:]
    var connectionSession: [Int: String] = [:]
    var connectionSends: [Int: [ContinuousClock.Instant]] = [:]
    var sessions: [String: Session] = [:]
    var identifyTimes: [Int: [ContinuousClock.Instant]] = [:]
    var nextConnection = 1
    /// IDENTIFYs received.
    public internal(set) var identifyCount = 0
    /// RESUMEs received.
    public internal(set) var resumeCount = 0
    /// RESUMEs that came in on `resume_gateway_url`, as Discord asks.
    public internal(set) var resumesOnResumeURL = 0
    /// Heartbeats received.
    public internal(set) var heartbeatCount = 0
    /// Gateway connections opened.
    public internal(set) var gatewayConnectionCount = 0
    /// Connections that asked for `compress=zlib-stream`.
    public internal(set) var compressedConnectionCount = 0
    /// Close codes the emulator sent, in order.
    public internal(set) var sentCloseCodes: [Int] = []
    /// The last IDENTIFY's intents.
    public internal(set) var lastIntents: Int?
    /// IDENTIFYs refused with INVALID_SESSION for coming sooner than `max_concurrency` allows.
    public internal(set) var identifiesTooSoon = 0
    /// When each IDENTIFY arrived, with its shard (to check `max_concurrency` pacing).
    public internal(set) var identifies: [(shard: Int, at: ContinuousClock.Instant)] = []
    /// Whether heartbeats are acknowledged (off: connections turn zombie).
    public var acknowledgesHeartbeats = true

    /// An emulator of `configuration`; it listens from ``start(host:port:gatewayPort:)`` on.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "DiscordEmulator")) {
        self.configuration = configuration
        self.logger = logger
        self.routes = RouteTable(messageWrite: (configuration.messageBucket.limit,
                                                .milliseconds(Int(configuration.messageBucket.window * 1000))))
        self.users[configuration.botUser.id] = configuration.botUser
    }

    // MARK: - Lifecycle

    /// Starts listening on ephemeral loopback ports (or `port` for REST): REST, CDN and control on one, the
    /// gateway on another and the resume gateway on a third (Discord's are different hosts: an HTTP client that
    /// pools connections never sends the WebSocket upgrade on a connection that served REST calls).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0, gatewayPort: Int = 0) async throws -> Int {
        let emulator = self
        let rest = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EmulatorHTTPHandler(emulator: emulator))
                }
            }
            .bind(host: host, port: port).get()
        var listeners = [rest]
        for (wanted, resume) in [(gatewayPort, false), (0, true)] {
            let gateway = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try GatewayUpgrade.configure(channel: channel, emulator: emulator, resume: resume)
                    }
                }
                .bind(host: host, port: wanted).get()
            listeners.append(gateway)
        }
        self.serverChannels = listeners
        self.host = host
        self.port = rest.localAddress?.port ?? 0
        self.gatewayPort = listeners[1].localAddress?.port ?? 0
        self.resumeGatewayPort = listeners[2].localAddress?.port ?? 0
        return self.port
    }

    var host = "127.0.0.1"

    /// Closes every connection and both listeners.
    public func shutdown() async {
        for connection in self.connections.values { try? await connection.channel.close() }
        self.connections.removeAll()
        for channel in self.serverChannels { try? await channel.close() }
        self.serverChannels = []
    }

    /// The REST base the bot should use.
    public var apiBaseURL: String { "http://\(self.host):\(self.port)/api/v10" }
    /// The gateway URL `GET /gateway/bot` hands out.
    public var gatewayURL: String { "ws://\(self.host):\(self.gatewayPort)" }
    /// The resume URL READY hands out (another port, so resuming on the wrong URL shows).
    public var resumeGatewayURL: String { "ws://\(self.host):\(self.resumeGatewayPort)" }
    /// The control API's base (users posting messages, pressing buttons; JSON).
    public var controlURL: String { "http://\(self.host):\(self.port)/control" }

    // MARK: - Time

    /// The emulator's clock: real time plus what tests advanced.
    var now: ContinuousClock.Instant { self.realClock.now + self.clockOffset }

    /// Moves the emulator's clock ahead: interactions older than 3 s can no longer be answered, tokens older than
    /// 15 minutes no longer take follow-ups, sessions past their lifetime no longer resume.
    public func advanceClock(by duration: Duration) {
        self.clockOffset += duration
    }

    func makeID() -> String {
        let ms = UInt64(max(0, Date().timeIntervalSince1970 * 1000)) - 1_420_070_400_000
        self.nextID += 1
        return String((ms << 22) | (self.nextID & 0x3FFFFF))
    }

    // MARK: - World

    func guild(_ id: String?) -> EmulatedGuild? {
        guard let id else { return nil }
        return self.configuration.guilds.first { $0.id == id }
    }

    func channel(_ id: String) -> EmulatedChannel? {
        self.configuration.channels.first { $0.id == id }
    }

    /// Adds (or replaces) a guild.
    public func addGuild(_ guild: EmulatedGuild) {
        self.configuration.guilds.removeAll { $0.id == guild.id }
        self.configuration.guilds.append(guild)
        self.dispatch("GUILD_CREATE", self.guildCreate(guild), guild: guild.id, intent: DiscordRules.intentGuilds)
    }

    /// Adds (or replaces) a channel.
    public func addChannel(_ channel: EmulatedChannel) {
        self.configuration.channels.removeAll { $0.id == channel.id }
        self.configuration.channels.append(channel)
        if let guild = channel.guildID {
            var json = channel.json
            json["guild_id"] = .string(guild)
            self.dispatch("CHANNEL_CREATE", json, guild: guild, intent: DiscordRules.intentGuilds)
        }
    }

    /// Adds a user who can post and run commands.
    public func addUser(_ user: EmulatedUser) { self.users[user.id] = user }

    /// Gives `user` these roles in `guild` (used when an action names no roles).
    public func setRoles(_ roles: [String], user: String, guild: String) {
        self.memberRoles[guild, default: [:]][user] = roles
    }

    /// Denies (or gives back) the bot's ATTACH_FILES permission in a channel: its channel messages with files are
    /// then refused with 403, code 50013 Missing Permissions. Interaction answers are webhooks and need no channel
    /// permission, as on Discord.
    public func setBotMayAttachFiles(_ allowed: Bool, channel: String) {
        if allowed { self.attachFilesDenied.remove(channel) } else { self.attachFilesDenied.insert(channel) }
    }

    /// Changes a guild's boost tier (its upload limit follows) and dispatches `GUILD_UPDATE`, as Discord does;
    /// `announce: false` leaves the event out, as for a bot that missed it (to test what a stale limit does).
    public func setBoostTier(_ tier: Int, guild: String, announce: Bool = true) {
        guard let index = self.configuration.guilds.firstIndex(where: { $0.id == guild }) else { return }
        self.configuration.guilds[index].boostTier = tier
        guard announce else { return }
        // Discord tells the guild's bots of a boost level change with the new guild object.
        self.dispatch("GUILD_UPDATE", self.guildJSON(self.configuration.guilds[index]), guild: guild, intent: DiscordRules.intentGuilds)
    }

    func uploadLimit(channel: String) -> Int {
        DiscordRules.uploadLimit(boostTier: self.guild(self.channel(channel)?.guildID)?.boostTier ?? 0)
    }

    // MARK: - Observing

    /// A channel's messages as everyone sees them (ephemeral ones excluded), oldest first.
    public func channelMessages(_ channel: String) -> [EmulatedMessage] {
        (self.channelOrder[channel] ?? []).compactMap { id in
            guard self.ephemeralViewer[id] == nil else { return nil }
            return self.messageStore[id].map(EmulatedMessage.init)
        }
    }

    /// Ephemeral messages only `user` saw, oldest first.
    public func ephemeralMessages(for user: String) -> [EmulatedMessage] {
        self.channelOrder.values.joined().filter { self.ephemeralViewer[$0] == user }
            .compactMap { self.messageStore[$0].map(EmulatedMessage.init) }
            .sorted { (UInt64($0.id) ?? 0) < (UInt64($1.id) ?? 0) }
    }

    /// A message as stored now (after edits), or `nil` once deleted or never sent.
    public func storedMessage(_ id: String) -> EmulatedMessage? { self.messageStore[id].map(EmulatedMessage.init) }

    /// An interaction by id or token.
    public func interaction(_ idOrToken: String) -> EmulatedInteraction? {
        self.interactions[idOrToken] ?? self.interactions.values.first { $0.id == idOrToken }
    }

    /// The message an interaction's answer created (or a deferred one was edited into).
    public func originalMessage(ofInteraction idOrToken: String) -> EmulatedMessage? {
        self.interaction(idOrToken)?.originalMessageID.flatMap { self.storedMessage($0) }
    }

    /// Follow-up messages of an interaction, in order.
    public func followups(ofInteraction idOrToken: String) -> [EmulatedMessage] {
        (self.interaction(idOrToken)?.followupIDs ?? []).compactMap { self.storedMessage($0) }
    }

    /// The global commands the bot registered.
    public var globalCommands: [EmulatorJSON] { self.globalCommandList }
    /// The commands the bot registered for `guild`.
    public func registeredCommands(guild: String) -> [EmulatorJSON] { self.guildCommandLists[guild] ?? [] }

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
        let deadline = self.realClock.now + timeout
        while true {
            if let value = probe(self) { return value }
            guard self.realClock.now < deadline else {
                // The gateway's state says why most waits fail; it goes into the message.
                throw EmulatorError.timeout("\(what) (gateway sockets \(self.connections.count), identifies \(self.identifyCount), too soon \(self.identifiesTooSoon), resumes \(self.resumeCount), closes \(self.sentCloseCodes))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Misbehaving

    /// Answers the next matching requests with `fault`.
    public func inject(_ fault: Fault) {
        if fault.stopReadingAfterBytes != nil {
            self.readStalls.withLock { $0.append(fault) }
        } else {
            self.faults.append(fault)
        }
    }

    /// How many body bytes of this request to read before stopping, when a fault says so (the fault is used up).
    nonisolated func takeReadStall(method: String, path: String) -> Int? {
        let path = path.hasPrefix("/api/v10/") ? String(path.dropFirst("/api/v10".count)) : path
        return self.readStalls.withLock { stalls -> Int? in
            guard let index = stalls.firstIndex(where: {
                path.hasPrefix($0.pathPrefix) && ($0.method == nil || $0.method == method)
            }) else { return nil }
            let bytes = stalls[index].stopReadingAfterBytes
            stalls[index].remaining -= 1
            if stalls[index].remaining <= 0 { stalls.remove(at: index) }
            return bytes
        }
    }

    /// Ages an interaction past its 3-second window, as if the bot had been too slow.
    public func expire(interaction idOrToken: String) {
        guard let token = self.interaction(idOrToken)?.token else { return }
        self.interactions[token]?.created = self.now - self.configuration.interactionDeadline
    }
}

/// What the emulator's Swift API refuses.
public enum EmulatorError: Error, CustomStringConvertible, Equatable {
    case timeout(String)
    case unknownChannel(String)
    case unknownMessage(String)
    case unknownCommand(String)
    case unknownOption(command: String, option: String)
    case notAutocompleted(command: String, option: String)
    case unknownButton(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .timeout(let what): "timed out waiting for \(what)"
        case .unknownChannel(let id): "no channel \(id)"
        case .unknownMessage(let id): "no message \(id)"
        case .unknownCommand(let name): "the bot has not registered a command named \(name)"
        case .unknownOption(let command, let option): "/\(command) has no option \(option)"
        case .notAutocompleted(let command, let option): "/\(command)'s option \(option) is not autocompleted"
        case .unknownButton(let id): "the message has no button \(id)"
        case .invalid(let why): why
        }
    }
}
