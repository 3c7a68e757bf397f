import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension DiscordEmulator {
    func gatewayOpened(channel: any NIOCore.Channel, compress: Bool, resume: Bool, frames: AsyncStream<String>) async {
        let id = self.nextConnection
        self.nextConnection += 1
        let connection = Connection(id: id, channel: channel, compress: compress, onResumeURL: resume)
        self.connections[id] = connection
        if compress {
            self.compressors[id] = StreamCompressor()
            self.compressedConnectionCount += 1
        }
        self.gatewayConnectionCount += 1
        self.send(["op": 10, "s": nil, "t": nil,
                   "d": ["heartbeat_interval": .int(self.configuration.heartbeatIntervalMilliseconds)]], to: id)
        for await text in frames {
            self.gatewayReceived(text, from: id)
        }
        self.gatewayClosed(id)
    }

    private func gatewayClosed(_ id: Int) {
        self.connections[id] = nil
        self.compressors[id] = nil
        self.connectionSends[id] = nil
        if let session = self.connectionSession.removeValue(forKey: id), self.sessions[session]?.connection == id {
            self.sessions[session]?.connection = nil
            self.sessions[session]?.disconnectedAt = self.now
        }
    }

    private func gatewayReceived(_ text: String, from id: Int) {
        // 120 sends per 60 s per connection, then 4008.
        let now = self.realClock.now
        var sends = self.connectionSends[id] ?? []
        sends.removeAll { $0 < now - .seconds(60) }
        sends.append(now)
        self.connectionSends[id] = sends
        if sends.count > DiscordRules.gatewaySendsPerMinute { return self.closeConnection(id, code: 4008) }
        guard text.utf8.count <= DiscordRules.gatewayPayloadBytes else { return self.closeConnection(id, code: 4002) }
        guard let payload = try? EmulatorJSON(parsing: Data(text.utf8)), let op = payload["op"]?.int else {
            return self.closeConnection(id, code: 4002)
        }
        let d = payload["d"] ?? nil
        switch op {
        case 1:
            self.heartbeatCount += 1
            if self.acknowledgesHeartbeats { self.send(["op": 11, "s": nil, "t": nil, "d": nil], to: id) }
        case 2:
            self.identify(d, on: id)
        case 6:
            self.resume(d, on: id)
        case 3, 4, 8:
            // Presence, voice state, member requests: accepted once identified.
            if self.connectionSession[id] == nil { self.closeConnection(id, code: 4003) }
        default:
            self.closeConnection(id, code: 4001)
        }
    }

    private func identify(_ d: EmulatorJSON, on id: Int) {
        guard self.connectionSession[id] == nil else { return self.closeConnection(id, code: 4005) }
        guard let token = d["token"]?.string, let intents = d["intents"]?.int,
            d["properties"]?.object != nil
        else { return self.closeConnection(id, code: 4002) }
        guard token == self.configuration.token || token == "Bot " + self.configuration.token else {
            return self.closeConnection(id, code: 4004)
        }
        guard intents >= 0, intents & ~DiscordRules.knownIntents == 0 else { return self.closeConnection(id, code: 4013) }
        if intents & DiscordRules.intentMessageContent != 0, !self.configuration.messageContentIntentAllowed {
            return self.closeConnection(id, code: 4014)
        }
        let shard = d["shard"]?.array?.compactMap(\.int) ?? [0, 1]
        guard shard.count == 2, shard[1] >= 1, (0..<shard[1]).contains(shard[0]) else {
            return self.closeConnection(id, code: 4010)
        }
        // max_concurrency: IDENTIFYs with the same rate-limit key at most once per 5 seconds.
        let key = shard[0] % max(1, self.configuration.maxConcurrency)
        let now = self.realClock.now
        var recent = (self.identifyTimes[key] ?? []).filter { $0 > now - self.configuration.identifyInterval }
        guard recent.isEmpty else {
            self.identifiesTooSoon += 1
            self.sendInvalidSession(resumable: false, to: id)
            return
        }
        recent.append(now)
        self.identifyTimes[key] = recent
        self.identifyCount += 1
        self.identifies.append((shard[0], now))
        self.lastIntents = intents
        let sessionID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        var session = Session(connection: id)
        session.shard = (shard[0], shard[1])
        session.intents = intents
        self.sessions[sessionID] = session
        self.connectionSession[id] = sessionID
        var user = self.configuration.botUser.json
        user["verified"] = true
        user["mfa_enabled"] = false
        let mine = self.configuration.guilds.filter { DiscordRules.shard(ofGuild: $0.id, count: shard[1]) == shard[0] }
        let ready: EmulatorJSON = [
            "v": 10, "user": user, "session_id": .string(sessionID), "resume_gateway_url": .string(self.resumeGatewayURL),
            "session_type": "normal", "private_channels": [], "relationships": [], "user_settings": [:],
            "guilds": .array(mine.map { ["id": .string($0.id), "unavailable": true] }),
            "shard": .array(shard.map(EmulatorJSON.int)),
            "application": ["id": .string(self.configuration.applicationID), "flags": 0],
        ]
        self.dispatch("READY", ready, only: sessionID)
        if intents & DiscordRules.intentGuilds != 0 {
            for guild in mine { self.dispatch("GUILD_CREATE", self.guildCreate(guild), only: sessionID) }
        }
    }

    private func resume(_ d: EmulatorJSON, on id: Int) {
        guard let token = d["token"]?.string, let sessionID = d["session_id"]?.string, let seq = d["seq"]?.int else {
            return self.closeConnection(id, code: 4002)
        }
        guard token == self.configuration.token || token == "Bot " + self.configuration.token else {
            return self.closeConnection(id, code: 4004)
        }
        guard var session = self.sessions[sessionID] else { return self.sendInvalidSession(resumable: false, to: id) }
        if let gone = session.disconnectedAt, self.now > gone + self.configuration.sessionLifetime {
            self.sessions[sessionID] = nil
            return self.closeConnection(id, code: 4009)
        }
        guard seq <= session.sequence, seq >= (session.buffer.first?.seq ?? 1) - 1 else {
            return self.closeConnection(id, code: 4007)
        }
        self.resumeCount += 1
        if self.connections[id]?.onResumeURL == true { self.resumesOnResumeURL += 1 }
        // A socket the session was still attached to is forgotten (the client has moved on from it).
        if let old = session.connection, old != id { self.connectionSession[old] = nil }
        session.connection = id
        session.disconnectedAt = nil
        self.connectionSession[id] = sessionID
        self.sessions[sessionID] = session
        for event in session.buffer where event.seq > seq { self.sendRaw(event.text, to: id) }
        self.dispatch("RESUMED", [:], only: sessionID)
    }

    func sendInvalidSession(resumable: Bool, to id: Int) {
        self.send(["op": 9, "s": nil, "t": nil, "d": .bool(resumable)], to: id)
    }

    /// MESSAGE_CREATE as each session may see it: GUILD_MESSAGES or DIRECT_MESSAGES to get it at all; without
    /// MESSAGE_CONTENT, content, attachments, embeds and components are empty unless it is a DM, mentions the
    /// bot, or is the bot's own.
    func dispatchMessageCreate(_ message: EmulatorJSON, channel: EmulatedChannel) {
        let needed = channel.guildID == nil ? DiscordRules.intentDirectMessages : DiscordRules.intentGuildMessages
        let bot = self.configuration.botUser.id
        let exempt = channel.guildID == nil || message["author"]?["id"]?.string == bot
            || (message["mentions"]?.array ?? []).contains { $0["id"]?.string == bot }
        var redacted = message
        redacted["content"] = ""
        redacted["attachments"] = []
        redacted["embeds"] = []
        redacted["components"] = []
        let full = message.text
        let blank = redacted.text
        self.dispatch(name: "MESSAGE_CREATE", guild: channel.guildID) { session in
            guard session.intents & needed != 0 else { return nil }
            return exempt || session.intents & DiscordRules.intentMessageContent != 0 ? full : blank
        }
    }

    func dispatch(_ name: String, _ data: EmulatorJSON, only: String? = nil, guild: String? = nil, intent: Int = 0) {
        let text = data.text
        self.dispatch(name: name, guild: guild, only: only) { session in
            intent == 0 || session.intents & intent != 0 ? text : nil
        }
    }

    /// Sends event `name` to every session that should get it (buffered for resume when its socket is gone).
    /// A guild's events go to shard `(guild_id >> 22) % shard_count`; DMs go to shard 0.
    private func dispatch(name: String, guild: String?, only: String? = nil, body: (Session) -> String?) {
        for sessionID in self.sessions.keys where only == nil || only == sessionID {
            guard var session = self.sessions[sessionID], let d = body(session) else { continue }
            let target = guild.map { DiscordRules.shard(ofGuild: $0, count: session.shard.count) } ?? 0
            if only == nil, target != session.shard.id { continue }
            session.sequence += 1
            let text = #"{"op":0,"s":\#(session.sequence),"t":"\#(name)","d":\#(d)}"#
            session.buffer.append((session.sequence, text))
            if session.buffer.count > 1000 { session.buffer.removeFirst(session.buffer.count - 1000) }
            self.sessions[sessionID] = session
            if let connection = session.connection { self.sendRaw(text, to: connection) }
        }
    }

    private func send(_ payload: EmulatorJSON, to id: Int) { self.sendRaw(payload.text, to: id) }

    func sendRaw(_ text: String, to id: Int) {
        guard let connection = self.connections[id] else { return }
        let frame: WebSocketFrame
        if connection.compress, let compressor = self.compressors[id] {
            frame = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: compressor.compress(Array(text.utf8))))
        } else {
            frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
        }
        connection.channel.writeAndFlush(frame, promise: nil)
    }

    func closeConnection(_ id: Int, code: Int) {
        guard let connection = self.connections[id] else { return }
        self.sentCloseCodes.append(code)
        var data = ByteBuffer()
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: code))
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        let channel = connection.channel
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
        self.gatewayClosed(id)
    }

    // MARK: - Wire shapes

    func guildJSON(_ guild: EmulatedGuild) -> EmulatorJSON {
        let everyone: EmulatorJSON = [
            "id": .string(guild.id), "name": "@everyone", "permissions": "1071698660929", "position": 0, "color": 0,
            "hoist": false, "managed": false, "mentionable": false, "flags": 0, "icon": nil, "unicode_emoji": nil,
        ]
        let roles: [EmulatorJSON] = [everyone] + guild.roles.enumerated().map { i, role in
            ["id": .string(role.id), "name": .string(role.name), "permissions": "0", "position": .int(i + 1),
             "color": 0, "hoist": false, "managed": false, "mentionable": false, "flags": 0, "icon": nil,
             "unicode_emoji": nil]
        }
        return [
            "id": .string(guild.id), "name": .string(guild.name), "icon": nil, "splash": nil, "discovery_splash": nil,
            "owner_id": "1", "afk_channel_id": nil, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "features": [], "mfa_level": 0,
            "application_id": nil, "system_channel_id": nil, "system_channel_flags": 0, "rules_channel_id": nil,
            "vanity_url_code": nil, "description": nil, "banner": nil, "premium_tier": .int(guild.boostTier),
            "premium_subscription_count": .int([0, 2, 7, 14][min(max(guild.boostTier, 0), 3)]),
            "preferred_locale": "en-US", "public_updates_channel_id": nil, "nsfw_level": 0,
            "premium_progress_bar_enabled": false, "roles": .array(roles), "emojis": [], "stickers": [],
        ]
    }

    /// A full GUILD_CREATE: the guild with its channels, roles and the bot as a member.
    func guildCreate(_ guild: EmulatedGuild) -> EmulatorJSON {
        var json = self.guildJSON(guild)
        json["large"] = false
        json["unavailable"] = false
        json["member_count"] = 2
        json["joined_at"] = .string(Self.timestamp(Date(timeIntervalSince1970: 1_700_000_000)))
        json["channels"] = .array(self.configuration.channels.filter { $0.guildID == guild.id }.map { channel in
            var c = channel.json
            c["guild_id"] = nil
            return c
        })
        json["members"] = [self.memberJSON(user: self.configuration.botUser, guild: guild.id, roles: [], withUser: true)]
        for key in ["threads", "voice_states", "presences", "stage_instances", "guild_scheduled_events",
                    "soundboard_sounds"] {
            json[key] = []
        }
        return json
    }

    // MARK: - Faults

    /// Closes every gateway socket (or only `shard`'s) with `code`, or drops them without a close frame when
    /// `code` is nil.
    public func disconnectGateway(code: Int? = nil, shard: Int? = nil) {
        for id in Array(self.connections.keys) {
            if let shard, self.connectionSession[id].flatMap({ self.sessions[$0]?.shard.id }) != shard { continue }
            if let code {
                self.closeConnection(id, code: code)
            } else {
                self.connections[id]?.channel.close(promise: nil)
                self.gatewayClosed(id)
            }
        }
    }

    /// Sends op 7 RECONNECT on every socket.
    public func requestReconnect() {
        for id in self.connections.keys { self.send(["op": 7, "s": nil, "t": nil, "d": nil], to: id) }
    }

    /// Sends op 9 INVALID_SESSION on every socket; a non-resumable one also forgets the sessions.
    public func invalidateSessions(resumable: Bool) {
        if !resumable { self.sessions.removeAll() }
        for id in Array(self.connections.keys) {
            if !resumable { self.connectionSession[id] = nil }
            self.sendInvalidSession(resumable: resumable, to: id)
        }
    }

    /// Whether heartbeats are acknowledged (off: the bot must see a zombie connection and resume).
    public func setAcknowledgesHeartbeats(_ value: Bool) { self.acknowledgesHeartbeats = value }

    /// Sends `text` as one gateway frame on every socket, as is: for clients facing payloads that are not JSON or
    /// not the shape they expect.
    public func sendRawFrame(_ text: String) {
        for id in self.connections.keys { self.sendRaw(text, to: id) }
    }

    /// Dispatches event `name` with `json` as its data to every session (sequenced and replayed on resume like
    /// any event), whatever shape the JSON has.
    public func dispatchRaw(_ name: String, json: String) {
        self.dispatch(name: name, guild: nil) { _ in json }
    }

    /// Live gateway sockets.
    public var openGatewayConnections: Int { self.connections.count }
}

/// The WebSocket upgrade on the gateway ports; anything that is not an upgrade gets the REST handler's 404.
enum GatewayUpgrade {
    static func configure(channel: any NIOCore.Channel, emulator: DiscordEmulator, resume: Bool) throws {
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
                    Task { await emulator.gatewayOpened(channel: channel, compress: compress, resume: resume, frames: stream) }
                }
            })
        let http = EmulatorHTTPHandler(emulator: emulator)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.removeHandler(name: "emulator-http", promise: nil)
            }))
        try channel.pipeline.syncOperations.addHandler(http, name: "emulator-http")
    }
}
