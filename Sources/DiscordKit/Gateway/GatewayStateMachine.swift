/// The gateway session's rules as a pure state machine: it takes what arrived (decoded payloads, timer ticks,
/// the socket closing) and returns what to do. The driver (``GatewayClient``) owns the socket and the clocks.
///
/// Connecting: HELLO → start heartbeating (first beat after `interval × jitter`) and IDENTIFY, or RESUME when a
/// session is held. READY/RESUMED → ready. A beat that finds the previous one unacknowledged means a zombie
/// connection: close (not with 1000/1001, which would end the session) and resume. RECONNECT (op 7) and a
/// resumable INVALID_SESSION resume; a non-resumable one starts a new session. Close codes Discord marks as
/// final stop with a ``GatewayError``.
public struct GatewayStateMachine: Sendable {
    /// What arrived on the socket, already decoded.
    public enum Incoming: Sendable, Hashable {
        case hello(heartbeatIntervalMilliseconds: Int)
        case heartbeatRequest
        case heartbeatAck
        case reconnect
        case invalidSession(resumable: Bool)
        case ready(sequence: Int?, sessionID: String, resumeURL: String)
        case resumed(sequence: Int?)
        case dispatch(sequence: Int?)
    }

    /// What the driver must send.
    public enum Outgoing: Sendable, Hashable {
        case identify
        case resume(sessionID: String, sequence: Int)
        case heartbeat(sequence: Int?)
    }

    /// What the driver must do.
    public enum Action: Sendable, Hashable {
        case send(Outgoing)
        /// Start (or restart) the heartbeat timer: first tick after `firstDelay`, then every `interval`.
        case startHeartbeat(interval: Duration, firstDelay: Duration)
        /// Close the socket with this code; ``closed(code:)`` follows when it is gone.
        case close(code: Int)
        /// Connect again to `url` after `delay`, then resume or identify as HELLO arrives.
        case reconnect(url: String, delay: Duration)
        /// Stop for good.
        case fail(GatewayError)
        /// Discord refused a privileged intent (4014): identify from now on without Message Content (messages
        /// arrive without their text; slash commands, buttons and autocomplete need no intent and keep working).
        case dropPrivilegedIntents
    }

    /// Where the session stands.
    public enum State: Sendable, Hashable {
        case disconnected
        case waitingForHello
        case identifying
        case resuming
        case ready
        case closing
        case stopped
    }

    /// Where the session stands.
    public private(set) var state: State = .disconnected
    /// The session held (to RESUME), once READY gave one.
    public private(set) var sessionID: String?
    /// Where to connect to resume the session.
    public private(set) var resumeURL: String?
    /// The last sequence number received (sent with heartbeats and RESUME).
    public private(set) var sequence: Int?
    private var awaitingAck = false
    /// Consecutive failed connections, for backoff; reset when a session is ready.
    private var failures = 0
    /// Decided when we close the socket ourselves: whether the next connection resumes.
    private var resumeAfterClose = true
    /// Where new sessions connect.
    public let gatewayURL: String
    /// The longest wait between reconnection attempts.
    public var maximumBackoff: Duration
    /// Whether a 4014 close may be answered by identifying without the privileged intents (once).
    public let mayDropPrivilegedIntents: Bool
    private var droppedPrivilegedIntents = false
    /// A non-resumable INVALID_SESSION: Discord asks for a wait of 1–5 s before the next IDENTIFY.
    private var invalidSessionWait = false

    /// A disconnected machine for the gateway at `gatewayURL`.
    public init(gatewayURL: String, maximumBackoff: Duration = .seconds(60), mayDropPrivilegedIntents: Bool = false) {
        self.gatewayURL = gatewayURL
        self.maximumBackoff = maximumBackoff
        self.mayDropPrivilegedIntents = mayDropPrivilegedIntents
    }

    private var canResume: Bool { self.sessionID != nil && self.sequence != nil }

    /// Whether the next connection will IDENTIFY (no session to resume): the driver waits for its
    /// `max_concurrency` turn before connecting, so the wait never stalls an open socket's heartbeats.
    public var nextConnectionIdentifies: Bool { !self.canResume }

    /// The socket is open; `jitter` in 0...1 spreads the first heartbeat.
    public mutating func connected() {
        self.state = .waitingForHello
        self.awaitingAck = false
        self.resumeAfterClose = true
    }

    /// What to do about `incoming`; `jitter` (0..<1) spreads the first heartbeat and reconnection delays.
    public mutating func received(_ incoming: Incoming, jitter: Double) -> [Action] {
        switch incoming {
        case .hello(let ms):
            guard self.state == .waitingForHello else { return [] }
            // From the network: kept between 1 ms and an hour (Discord sends about 41 s), so no arithmetic on it can
            // overflow, and a gateway that names no sane interval still gets heartbeats.
            let ms = min(max(ms, 1), 3_600_000)
            let interval = Duration.milliseconds(ms)
            let first = Duration.milliseconds(Int(Double(ms) * min(max(jitter.isNaN ? 1 : jitter, 0), 1)))
            if self.canResume, let id = self.sessionID, let seq = self.sequence {
                self.state = .resuming
                return [.startHeartbeat(interval: interval, firstDelay: first), .send(.resume(sessionID: id, sequence: seq))]
            }
            self.state = .identifying
            return [.startHeartbeat(interval: interval, firstDelay: first), .send(.identify)]
        case .heartbeatRequest:
            return [.send(.heartbeat(sequence: self.sequence))]
        case .heartbeatAck:
            self.awaitingAck = false
            return []
        case .reconnect:
            return self.closeAndReconnect(resume: true)
        case .invalidSession(let resumable):
            if !resumable {
                self.forgetSession()
                self.invalidSessionWait = true
            }
            return self.closeAndReconnect(resume: resumable)
        case .ready(let seq, let id, let url):
            self.note(seq)
            self.sessionID = id
            self.resumeURL = url
            self.state = .ready
            self.failures = 0
            return []
        case .resumed(let seq):
            self.note(seq)
            self.state = .ready
            self.failures = 0
            return []
        case .dispatch(let seq):
            self.note(seq)
            return []
        }
    }

    private mutating func note(_ seq: Int?) {
        if let seq, seq > (self.sequence ?? 0) { self.sequence = seq }
    }

    private mutating func forgetSession() {
        self.sessionID = nil
        self.sequence = nil
        self.resumeURL = nil
    }

    private mutating func closeAndReconnect(resume: Bool) -> [Action] {
        guard self.state != .closing, self.state != .stopped else { return [] }
        self.state = .closing
        self.resumeAfterClose = resume
        // 4000 keeps the session resumable; 1000/1001 would end it on Discord's side.
        return [.close(code: 4000)]
    }

    /// The heartbeat timer fired.
    public mutating func heartbeatDue() -> [Action] {
        guard [.identifying, .resuming, .ready].contains(self.state) else { return [] }
        if self.awaitingAck {
            // No ACK since the last beat: the connection is a zombie.
            return self.closeAndReconnect(resume: true)
        }
        self.awaitingAck = true
        return [.send(.heartbeat(sequence: self.sequence))]
    }

    /// We are shutting down: close with 1000 and do not reconnect.
    public mutating func stop() -> [Action] {
        let wasOpen = self.state != .disconnected && self.state != .stopped
        self.state = .stopped
        self.forgetSession()
        return wasOpen ? [.close(code: 1000)] : []
    }

    /// The socket is gone, with the peer's close code if it sent one (nil: dropped or never opened). `jitter` in
    /// 0...1 picks the wait Discord asks for after a non-resumable INVALID_SESSION (1–5 s).
    public mutating func closed(code: Int?, jitter: Double = 0.5) -> [Action] {
        if self.state == .stopped { return [] }
        let weClosed = self.state == .closing
        self.state = .disconnected
        if code == 4014, self.mayDropPrivilegedIntents, !self.droppedPrivilegedIntents {
            self.droppedPrivilegedIntents = true
            self.forgetSession()
            return [.dropPrivilegedIntents, .reconnect(url: self.gatewayURL, delay: .seconds(1))]
        }
        if let code, let error = GatewayError(closeCode: code) {
            self.state = .stopped
            return [.fail(error)]
        }
        if !weClosed {
            switch code {
            case 4007, 4009:  // invalid sequence, session timed out: a new session is needed
                self.forgetSession()
            default:
                break
            }
        } else if !self.resumeAfterClose {
            self.forgetSession()
        }
        // An orderly reconnect (op 7, zombie) goes at once; repeated failures back off 1, 2, 4… s up to the cap,
        // and a fresh IDENTIFY never comes sooner than 1 s after a failure so the daily identify budget lasts.
        var delay: Duration
        if self.invalidSessionWait {
            self.invalidSessionWait = false
            delay = .seconds(1) + .milliseconds(Int(4000 * min(max(jitter, 0), 1)))
        } else if weClosed && self.canResume && self.failures == 0 {
            delay = .zero
        } else {
            let exponent = min(self.failures, 16)
            delay = min(.seconds(1) * (1 << exponent), self.maximumBackoff)
        }
        self.failures += 1
        let url = self.canResume ? (self.resumeURL ?? self.gatewayURL) : self.gatewayURL
        return [.reconnect(url: url, delay: delay)]
    }
}
