import DiscordKit
import Foundation
import NIOCore
import NIOWebSocket

extension DiscordEmulator {
    func gatewayOpened(channel: any NIOCore.Channel, compress: Bool, frames: AsyncStream<String>) async {
        let id = self.nextConnection
        self.nextConnection += 1
        let connection = Connection(id: id, channel: channel, compress: compress)
        self.connections[id] = connection
        if compress { self.deflaters[id] = ZlibStreamDeflater() }
        self.gatewayConnectionCount += 1
        self.sendRaw(#"{"op":10,"s":null,"t":null,"d":{"heartbeat_interval":\#(self.configuration.heartbeatIntervalMilliseconds)}}"#, to: id)
        for await text in frames {
            self.gatewayReceived(text, from: id)
        }
        self.gatewayClosed(id)
    }

    private func gatewayClosed(_ id: Int) {
        self.connections[id] = nil
        self.deflaters[id] = nil
        if let session = self.connectionSession.removeValue(forKey: id) {
            self.sessions[session]?.connection = nil
        }
    }

    private struct Envelope: Decodable {
        var op: Int
    }

    private struct Identify: Decodable {
        struct D: Decodable {
            var token: String
            var intents: Int
            var shard: [Int]?
        }
        var d: D
    }

    private struct Resume: Decodable {
        struct D: Decodable {
            var token: String
            var session_id: String
            var seq: Int
        }
        var d: D
    }

    private func gatewayReceived(_ text: String, from id: Int) {
        let data = Data(text.utf8)
        guard text.utf8.count <= 4096 else { return self.closeConnection(id, code: 4002) }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data) else {
            return self.closeConnection(id, code: 4002)
        }
        switch envelope.op {
        case 1:
            self.heartbeatCount += 1
            if self.acknowledgesHeartbeats { self.sendRaw(#"{"op":11,"s":null,"t":null,"d":null}"#, to: id) }
        case 2:
            guard self.connectionSession[id] == nil else { return self.closeConnection(id, code: 4005) }
            guard let identify = try? JSONDecoder().decode(Identify.self, from: data) else {
                return self.closeConnection(id, code: 4002)
            }
            guard identify.d.token == self.configuration.token else { return self.closeConnection(id, code: 4004) }
            let contentIntent = 1 << 15
            if identify.d.intents & contentIntent != 0, !self.configuration.messageContentIntentAllowed {
                return self.closeConnection(id, code: 4014)
            }
            self.identifyCount += 1
            self.lastIntents = identify.d.intents
            let sessionID = UUID().uuidString
            let shard = identify.d.shard ?? [0, 1]
            guard shard.count == 2, shard[1] >= 1, (0..<shard[1]).contains(shard[0]) else {
                return self.closeConnection(id, code: 4010)
            }
            var session = Session(connection: id)
            session.shard = (shard[0], shard[1])
            self.sessions[sessionID] = session
            self.connectionSession[id] = sessionID
            var user = WireFormat.complete(
                (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(self.configuration.botUser))) ?? [:]
            ) as? [String: Any] ?? [:]
            user["verified"] = true
            user["mfa_enabled"] = false
            user["flags"] = 0
            let ready: [String: Any] = [
                "v": 10, "user": user, "session_id": sessionID, "resume_gateway_url": self.gatewayURL,
                "session_type": "normal", "private_channels": [Any](), "relationships": [Any](),
                "guilds": self.configuration.guilds.filter { Self.shard(of: $0.id, count: shard[1]) == shard[0] }
                    .map { ["id": $0.id.rawValue, "unavailable": true] },
                "shard": shard,
                "application": ["id": self.configuration.applicationID.rawValue, "flags": 0] as [String: Any],
            ]
            self.dispatch(raw: "READY", WireFormat.serialize(ready), only: sessionID)
            for guild in self.configuration.guilds where Self.shard(of: guild.id, count: shard[1]) == shard[0] {
                let payload = WireFormat.guildCreate(
                    guild, channels: self.configuration.channels, owner: self.configuration.botUser.id)
                self.dispatch(raw: "GUILD_CREATE", WireFormat.serialize(payload), only: sessionID)
            }
        case 6:
            guard let resume = try? JSONDecoder().decode(Resume.self, from: data),
                resume.d.token == self.configuration.token, var session = self.sessions[resume.d.session_id]
            else {
                self.sendRaw(#"{"op":9,"s":null,"t":null,"d":false}"#, to: id)
                return
            }
            self.resumeCount += 1
            if let old = session.connection, old != id { self.connectionSession[old] = nil }
            session.connection = id
            self.connectionSession[id] = resume.d.session_id
            self.sessions[resume.d.session_id] = session
            for event in session.buffer where event.seq > resume.d.seq { self.sendRaw(event.text, to: id) }
            self.dispatch("RESUMED", EmptyObject(), only: resume.d.session_id)
        default:
            break
        }
    }

    private struct EmptyObject: Encodable {}

    /// Sends a dispatch to every session (buffered for resume when a session's socket is gone).
    /// Discord's rule: a guild's events go to shard `(guild_id >> 22) % shard_count`.
    static func shard(of guild: Snowflake, count: Int) -> Int {
        Int(((guild.value ?? 0) >> 22) % UInt64(max(count, 1)))
    }

    func dispatch<T: Encodable>(_ name: String, _ value: T, only: String? = nil, guild: Snowflake? = nil) {
        self.dispatch(raw: name, WireFormat.data(value), only: only, guild: guild)
    }

    func dispatch(raw name: String, _ json: Data, only: String? = nil, guild: Snowflake? = nil) {
        let d = String(decoding: json, as: UTF8.self)
        for sessionID in self.sessions.keys where only == nil || only == sessionID {
            guard var session = self.sessions[sessionID] else { continue }
            if let guild, Self.shard(of: guild, count: session.shard.count) != session.shard.id { continue }
            session.sequence += 1
            let text = #"{"op":0,"s":\#(session.sequence),"t":"\#(name)","d":\#(d)}"#
            session.buffer.append((session.sequence, text))
            if session.buffer.count > 1000 { session.buffer.removeFirst(session.buffer.count - 1000) }
            self.sessions[sessionID] = session
            if let connection = session.connection { self.sendRaw(text, to: connection) }
        }
    }

    private func sendRaw(_ text: String, to id: Int) {
        guard let connection = self.connections[id] else { return }
        let frame: WebSocketFrame
        if connection.compress, let deflater = self.deflaters[id] {
            let bytes = deflater.compress(Array(text.utf8))
            frame = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: bytes))
        } else {
            frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
        }
        connection.channel.writeAndFlush(frame, promise: nil)
    }

    private func closeConnection(_ id: Int, code: Int) {
        guard let connection = self.connections[id] else { return }
        var data = ByteBuffer()
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: code))
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        let channel = connection.channel
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
        self.gatewayClosed(id)
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
        for id in self.connections.keys { self.sendRaw(#"{"op":7,"s":null,"t":null,"d":null}"#, to: id) }
    }

    /// Sends op 9 INVALID_SESSION on every socket; a non-resumable one also forgets the sessions.
    public func invalidateSessions(resumable: Bool) {
        if !resumable { self.sessions.removeAll() }
        for id in self.connections.keys {
            self.sendRaw(#"{"op":9,"s":null,"t":null,"d":\#(resumable)}"#, to: id)
        }
    }

    public func setAcknowledgesHeartbeats(_ value: Bool) { self.acknowledgesHeartbeats = value }

    /// Sends `text` as one gateway frame on every socket, as is: for clients facing payloads that are not JSON or
    /// not the shape they expect.
    public func sendRawFrame(_ text: String) {
        for id in self.connections.keys { self.sendRaw(text, to: id) }
    }

    /// Dispatches event `name` with `json` as its data to every session (sequenced and replayed on resume like
    /// any event), whatever shape the JSON has.
    public func dispatchRaw(_ name: String, json: String) {
        self.dispatch(raw: name, Data(json.utf8))
    }

    /// Live gateway sockets.
    public var openGatewayConnections: Int { self.connections.count }
}
