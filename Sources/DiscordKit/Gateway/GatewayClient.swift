package import Foundation
public import Logging
import NIOCore
import NIOFoundationCompat
import NIOWebSocket
import WSClient

/// A gateway connection kept alive for as long as ``run()`` runs: heartbeats, zombie detection, resume,
/// reconnect with backoff, zlib-stream. The rules are in ``GatewayStateMachine``; this actor only moves bytes
/// and keeps time. Events arrive on ``events``; handle them in your own tasks so a slow handler never delays
/// a heartbeat.
public actor GatewayClient {
    /// Every dispatch (READY and RESUMED included), in the order Discord sent them; finished when ``run()`` returns.
    public nonisolated let events: AsyncStream<GatewayEvent>
    private let continuation: AsyncStream<GatewayEvent>.Continuation
    private let configuration: GatewayConfiguration
    private let rest: DiscordRESTClient?
    private let logger: Logger
    private var machine: GatewayStateMachine?
    private var outbound: WebSocketOutboundWriter?
    private var heartbeatTask: Task<Void, Never>?
    private var reconnectWait: Task<Void, any Error>?
    private var stopRequested = false
    private var identifyRemaining: Int?
    /// The intents IDENTIFY asks for (the configured ones, less any privileged one Discord refused).
    private var intents: GatewayIntents
    private var sendTimes: [ContinuousClock.Instant] = []
    private let clock = ContinuousClock()

    private var heartbeatSentAt: ContinuousClock.Instant?
    private var lastAck: ContinuousClock.Instant?
    private var latency: Duration?

    /// Counts for tests and health: connections opened, identifies and resumes sent.
    public private(set) var connections = 0
    /// New sessions started (IDENTIFY) so far.
    public private(set) var identifies = 0
    /// Sessions resumed (RESUME) so far.
    public private(set) var resumes = 0

    /// `rest` is asked for the gateway URL and identify budget unless `configuration.gatewayURL` is set.
    public init(configuration: GatewayConfiguration, rest: DiscordRESTClient?, logger: Logger = Logger(label: "DiscordKit.Gateway")) {
        self.configuration = configuration
        self.intents = configuration.intents
        self.rest = rest
        self.logger = logger
        (self.events, self.continuation) = AsyncStream.makeStream(of: GatewayEvent.self)
    }

    /// Connects and stays connected until ``stop()`` (returns) or a final close code (throws).
    public func run() async throws(GatewayError) {
        defer { self.continuation.finish() }
        var url: String
        if let configured = self.configuration.gatewayURL {
            url = configured
        } else if let rest = self.rest {
            do {
                let info = try await rest.gatewayBot()
                url = info.url
                self.identifyRemaining = info.sessionStartLimit.remaining
                if info.sessionStartLimit.remaining <= 0 {
                    throw GatewayError.identifyBudgetExhausted(resetAfterSeconds: info.sessionStartLimit.resetAfter / 1000)
                }
            } catch let error as GatewayError {
                throw error
            } catch let error as DiscordRESTError where error.status == 401 {
                throw GatewayError.authenticationFailed
            } catch {
                throw GatewayError.unreachable("\(error)")
            }
        } else {
            throw GatewayError.unreachable("no gateway URL and no REST client to ask for one")
        }
        self.machine = GatewayStateMachine(
            gatewayURL: url, maximumBackoff: self.configuration.maximumBackoff,
            mayDropPrivilegedIntents: self.configuration.continueWithoutPrivilegedIntents)
        while !self.stopRequested {
            // Shards sharing a rate-limit key identify one per 5 seconds (max_concurrency), reconnects too. The
            // turn is awaited before connecting (as discord.py does): waiting on an open socket would hold back
            // its heartbeat ACKs and get it closed as a zombie, taking a fresh turn each time.
            if let gate = self.configuration.identifyGate, self.machine?.nextConnectionIdentifies == true {
                let shard = self.configuration.shard.id
                let turn = Task { try await gate.waitTurn(shard: shard) }
                self.reconnectWait = turn
                _ = try? await turn.value
                self.reconnectWait = nil
                guard !self.stopRequested else { return }
            }
            let code = await self.connectOnce(url)
            self.heartbeatTask?.cancel()
            self.heartbeatTask = nil
            self.outbound = nil
            guard let actions = self.machine?.closed(code: code, jitter: .random(in: 0...1)), !actions.isEmpty else { return }
            for action in actions {
                switch action {
                case .dropPrivilegedIntents:
                    self.intents.subtract([.messageContent, .guildMembers, .guildPresences])
                    self.logger.warning("""
                        Discord refused the Message Content intent (close code 4014): continuing without it. Slash \
                        commands keep working; prefix commands cannot be read until it is enabled in the developer \
                        portal (Bot → Privileged Gateway Intents).
                        """)
                case .fail(let error):
                    self.logger.error("gateway stopped", metadata: ["reason": "\(error)"])
                    throw error
                case .reconnect(let next, let delay):
                    url = next
                    self.logger.info("gateway reconnecting", metadata: [
                        "close_code": "\(code.map(String.init) ?? "none")", "delay": "\(delay)",
                    ])
                    if delay > .zero {
                        // Jitter spreads the reconnects of many shards or bots after a shared outage.
                        let jittered = delay * Double.random(in: 0.75...1.25)
                        let wait = Task { try await Task.sleep(for: jittered) }
                        self.reconnectWait = wait
                        _ = try? await wait.value
                        self.reconnectWait = nil
                    }
                default:
                    break
                }
            }
        }
    }

    /// A health signal: session state, time since the last heartbeat ACK and the round trip it took.
    public struct Health: Sendable, Hashable {
        /// Where the session stands.
        public var state: GatewayStateMachine.State
        /// The shard's id.
        public var shard: Int
        /// Time since the last heartbeat ACK, when one came.
        public var sinceLastAck: Duration?
        /// The last heartbeat's round trip.
        public var latency: Duration?
        /// WebSocket connections opened so far.
        public var connections: Int
        /// New sessions started so far.
        public var identifies: Int
        /// Sessions resumed so far.
        public var resumes: Int

        /// Ready and acknowledged within two heartbeat intervals (or `maxSilence`).
        public func isHealthy(maxSilence: Duration = .seconds(90)) -> Bool {
            self.state == .ready && (self.sinceLastAck.map { $0 < maxSilence } ?? false)
        }
    }

    /// The connection's health now.
    public func health() -> Health {
        Health(
            state: self.machine?.state ?? .disconnected, shard: self.configuration.shard.id,
            sinceLastAck: self.lastAck.map { self.clock.now - $0 }, latency: self.latency,
            connections: self.connections, identifies: self.identifies, resumes: self.resumes)
    }

    /// Closes the session (code 1000) and makes ``run()`` return.
    public func stop() async {
        self.stopRequested = true
        self.reconnectWait?.cancel()
        if let actions = self.machine?.stop() { await self.perform(actions) }
    }

    private func connectOnce(_ url: String) async -> Int? {
        var full = url
        if !full.contains("?") { full += full.hasSuffix("/") ? "?" : "/?" } else { full += "&" }
        full += "v=10&encoding=json" + (self.configuration.compress ? "&compress=zlib-stream" : "")
        let wsConfiguration = WebSocketClientConfiguration(maxFrameSize: 1 << 24, closeTimeout: .seconds(5))
        do {
            let frame = try await WebSocketClient.connect(
                url: full, configuration: wsConfiguration, logger: self.logger
            ) { inbound, outbound, _ in
                try await self.session(inbound: inbound, outbound: outbound)
            }
            return frame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }
        } catch {
            self.logger.warning("gateway connection failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private nonisolated func session(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        await self.opened(outbound)
        let inflater = try self.configuration.compress
            ? ZlibStreamInflater(maxMessageSize: self.configuration.maxMessageSize) : nil
        for try await message in inbound.messages(maxSize: self.configuration.maxMessageSize) {
            let bytes: [UInt8]
            switch message {
            case .text(let text):
                bytes = Array(text.utf8)
            case .binary(let buffer):
                if let inflater {
                    guard let inflated = try inflater.feed(buffer.readableBytesView) else { continue }
                    bytes = inflated
                } else {
                    bytes = Array(buffer.readableBytesView)
                }
            }
            await self.handle(bytes)
        }
    }

    private func opened(_ outbound: WebSocketOutboundWriter) {
        self.connections += 1
        self.outbound = outbound
        self.machine?.connected()
    }

    private func handle(_ bytes: [UInt8]) async {
        let data = Data(bytes)
        let envelope: GatewayEnvelope
        do {
            envelope = try JSONDecoder().decode(GatewayEnvelope.self, from: data)
        } catch {
            self.logger.warning("unreadable gateway payload", metadata: ["error": "\(error)"])
            return
        }
        let incoming: GatewayStateMachine.Incoming
        var event: GatewayEvent?
        switch envelope.op {
        case 10:
            guard let hello = try? JSONDecoder().decode(GatewayData<HelloPayload>.self, from: data) else { return }
            incoming = .hello(heartbeatIntervalMilliseconds: hello.d.heartbeatInterval)
        case 1: incoming = .heartbeatRequest
        case 11:
            incoming = .heartbeatAck
            let now = self.clock.now
            self.lastAck = now
            if let sent = self.heartbeatSentAt { self.latency = now - sent }
        case 7: incoming = .reconnect
        case 9:
            let resumable = (try? JSONDecoder().decode(GatewayData<Bool>.self, from: data))?.d ?? false
            incoming = .invalidSession(resumable: resumable)
        case 0:
            let name = envelope.t ?? ""
            switch name {
            case "READY":
                guard let ready = try? JSONDecoder().decode(GatewayData<GatewayEvent.Ready>.self, from: data) else {
                    self.logger.error("READY did not decode")
                    return
                }
                incoming = .ready(sequence: envelope.s, sessionID: ready.d.sessionID, resumeURL: ready.d.resumeGatewayURL)
                event = .ready(ready.d)
            case "RESUMED":
                incoming = .resumed(sequence: envelope.s)
                event = .resumed
            default:
                incoming = .dispatch(sequence: envelope.s)
                event = Self.decodeDispatch(name: name, data: data, logger: self.logger)
            }
        default:
            return
        }
        let actions = self.machine?.received(incoming, jitter: Double.random(in: 0...1)) ?? []
        if let event { self.continuation.yield(event) }
        await self.perform(actions)
    }

    package static func decodeDispatch(name: String, data: Data, logger: Logger) -> GatewayEvent {
        func decode<T: Decodable>(_ type: T.Type) -> T? {
            do {
                return try JSONDecoder().decode(GatewayData<T>.self, from: data).d
            } catch {
                logger.warning("dispatch did not decode", metadata: ["event": "\(name)", "error": "\(error)"])
                return nil
            }
        }
        switch name {
        case "MESSAGE_CREATE": if let m = decode(Message.self) { return .messageCreate(m) }
        case "INTERACTION_CREATE": if let i = decode(Interaction.self) { return .interactionCreate(i) }
        case "GUILD_CREATE": if let g = decode(Guild.self) { return .guildCreate(g) }
        case "GUILD_UPDATE": if let g = decode(Guild.self) { return .guildUpdate(g) }
        default: break
        }
        let raw = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["d"]
        let d = raw.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) } ?? Data()
        return .other(name: name, data: d)
    }

    private func perform(_ actions: [GatewayStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .send(let outgoing):
                await self.send(outgoing)
            case .startHeartbeat(let interval, let first):
                self.heartbeatTask?.cancel()
                self.heartbeatTask = Task { [weak self] in
                    try? await Task.sleep(for: first)
                    while !Task.isCancelled {
                        await self?.heartbeatTick()
                        try? await Task.sleep(for: interval)
                    }
                }
            case .close(let code):
                let errorCode: WebSocketErrorCode = code == 1000 ? .normalClosure : .unknown(UInt16(code))
                // In its own task: the heartbeat task may be the caller, and it is cancelled right below (a
                // cancelled task's writes are refused).
                if let outbound = self.outbound {
                    Task { try? await outbound.close(errorCode, reason: nil) }
                }
                self.heartbeatTask?.cancel()
            case .reconnect, .fail, .dropPrivilegedIntents:
                break
            }
        }
    }

    private func heartbeatTick() async {
        guard !Task.isCancelled, let actions = self.machine?.heartbeatDue() else { return }
        if actions.contains(where: { if case .close = $0 { true } else { false } }) {
            self.logger.warning("no heartbeat ACK: closing the zombie connection to resume")
        }
        await self.perform(actions)
    }

    private func send(_ outgoing: GatewayStateMachine.Outgoing) async {
        guard let outbound = self.outbound else { return }
        let json: Data
        let encoder = JSONEncoder()
        do {
            switch outgoing {
            case .identify:
                if let remaining = self.identifyRemaining {
                    guard remaining > 0 else {
                        self.logger.error("identify budget used up; not identifying")
                        return
                    }
                    self.identifyRemaining = remaining - 1
                }
                self.identifies += 1
                json = try encoder.encode(GatewayOutgoing(op: 2, d: IdentifyPayload(
                    token: self.configuration.token.secret, intents: self.intents.rawValue,
                    properties: .init(os: "linux", browser: "DiscordKit", device: "DiscordKit"),
                    shard: [self.configuration.shard.id, self.configuration.shard.count])))
            case .resume(let sessionID, let sequence):
                self.resumes += 1
                json = try encoder.encode(GatewayOutgoing(op: 6, d: ResumePayload(
                    token: self.configuration.token.secret, sessionID: sessionID, seq: sequence)))
            case .heartbeat(let sequence):
                self.heartbeatSentAt = self.clock.now
                json = try encoder.encode(GatewayOutgoing(op: 1, d: sequence))
            }
        } catch {
            self.logger.error("cannot encode a gateway payload", metadata: ["error": "\(error)"])
            return
        }
        // Discord closes with 4002 on payloads over 4096 bytes and 4008 past 120 sends a minute; heartbeats
        // always go, everything else keeps 10 sends of headroom for them.
        guard json.count <= 4096 else {
            self.logger.error("gateway payload over 4096 bytes not sent")
            return
        }
        if case .heartbeat = outgoing {} else { await self.waitForSendSlot() }
        self.sendTimes.append(self.clock.now)
        do {
            try await outbound.write(.text(String(decoding: json, as: UTF8.self)))
        } catch {
            self.logger.debug("gateway write failed", metadata: ["error": "\(error)"])
        }
    }

    private func waitForSendSlot() async {
        while true {
            let now = self.clock.now
            self.sendTimes.removeAll { $0 + .seconds(60) <= now }
            guard self.sendTimes.count >= 110, let oldest = self.sendTimes.first else { return }
            try? await Task.sleep(until: oldest + .seconds(60), clock: self.clock)
        }
    }
}
