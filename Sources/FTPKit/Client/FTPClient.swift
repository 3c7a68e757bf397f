public import Foundation
import Synchronization
public import NIOCore
public import NIOPosix

/// An FTP client over one control connection: log in, list, upload and download (streaming, resumable), and the
/// file commands. Operations run one at a time (a control connection carries one transfer at a time); use
/// ``FTPConnectionPool`` for parallel work.
///
/// ```swift
/// let client = try await FTPClient.connect(host: "127.0.0.1", port: 21)
/// try await client.login(user: "alice", password: "secret")
/// try await client.uploadFile(from: "/tmp/a.bin", to: "a.bin")
/// for entry in try await client.list() { print(entry.name, entry.size ?? 0) }
/// try await client.quit()
/// ```
public actor FTPClient {
    /// The host connected to.
    public let host: String
    /// The port connected to.
    public let port: Int
    /// The settings this client was connected with.
    public let configuration: FTPClientConfiguration
    /// The server's `220` greeting.
    public let greeting: FTPReply
    /// What the server offers (read after login).
    public private(set) var features = FTPFeatures()

    let channel: any Channel
    /// The control connection's event loop as a task executor: the bodies of downloads prefer it, so a chunk is
    /// read and consumed on one thread.
    let executor: EventLoopTaskExecutor
    private var replies: AsyncThrowingStream<FTPReply, any Error>.AsyncIterator
    private var busy = false
    /// Callers waiting for the control connection (one command exchange at a time).
    private let waiters = WaiterQueue()
    var epsvUnsupported = false
    var eprtUnsupported = false
    private(set) var type: FTPDataType?
    private var broken: FTPClientError?
    /// The client TLS context when FTPS is on (control and data connections share it).
    let tlsContext: TLSContext?
    /// Whether `PROT P` is in force: data connections are TLS too.
    private(set) var dataProtected = false

    private init(
        host: String, port: Int, configuration: FTPClientConfiguration, channel: any Channel,
        replies: AsyncThrowingStream<FTPReply, any Error>.AsyncIterator, greeting: FTPReply, tlsContext: TLSContext?
    ) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.channel = channel
        self.executor = EventLoopTaskExecutor(channel.eventLoop)
        self.replies = replies
        self.greeting = greeting
        self.tlsContext = tlsContext
    }

    /// The name the server's certificate must carry.
    var tlsServerName: String { self.configuration.ftps?.serverName ?? self.host }

    /// Connects and reads the greeting.
    public static func connect(
        host: String, port: Int = 21, configuration: FTPClientConfiguration = FTPClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(FTPClientError) -> FTPClient {
        let (stream, sink) = AsyncThrowingStream<FTPReply, any Error>.makeStream()
        let channel: any Channel
        var tlsContext: TLSContext?
        let serverName = configuration.ftps?.serverName ?? host
        if let ftps = configuration.ftps {
            do {
                tlsContext = try TLSContext(configuration: ftps.tls, server: false)
            } catch {
                throw FTPClientError(.tls, "cannot set up TLS: \(error)")
            }
        }
        let implicitTLS = configuration.ftps?.mode == .implicit ? tlsContext : nil
        // Taken when the handler is added: a failed handshake removes it, so it cannot be looked up later.
        let implicitHandshake = Mutex<EventLoopFuture<Bool>?>(nil)
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.init(configuration.connectTimeout))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let implicitTLS {
                            let handler = try OpenSSLHandler(context: implicitTLS, serverHostname: serverName)
                            try channel.pipeline.syncOperations.addHandler(handler)
                            let done = handler.handshakeDone
                            implicitHandshake.withLock { $0 = done }
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FTPLineDecoder(maxLength: 64 * 1024)))
                        try channel.pipeline.syncOperations.addHandler(FTPReplyStreamHandler(sink: sink))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw FTPClientError(
                .connectionFailed, "cannot connect to \(host):\(port): \(error)",
                systemErrorCode: FTPClientError.systemErrorCode(of: error))
        }
        var iterator = stream.makeAsyncIterator()
        if implicitTLS != nil {
            try await Self.awaitHandshake(implicitHandshake.withLock { $0 }, channel, timeout: configuration.connectTimeout)
        }
        var greeting = try await Self.next(&iterator, channel: channel, timeout: configuration.replyTimeout)
        // 120: "service ready in nnn minutes" comes before the real greeting.
        while greeting.code == 120 {
            greeting = try await Self.next(&iterator, channel: channel, timeout: configuration.replyTimeout)
        }
        guard greeting.code == 220 else {
            channel.close(promise: nil)
            throw FTPClientError(.replyError, "the server refused the connection", reply: greeting)
        }
        if let tlsContext, configuration.ftps?.mode == .explicit {
            do {
                try await channel.writeAndFlush(ByteBuffer(string: "AUTH TLS\r\n"))
            } catch {
                throw FTPClientError(.connectionClosed, "cannot send AUTH TLS: \(error)")
            }
            let reply = try await Self.next(&iterator, channel: channel, timeout: configuration.replyTimeout)
            guard reply.code == 234 else {
                channel.close(promise: nil)
                throw FTPClientError(.tls, "the server does not offer FTPS", reply: reply, command: "AUTH TLS")
            }
            let handshake: EventLoopFuture<Bool>?
            do {
                handshake = try await channel.eventLoop.submit {
                    let handler = try OpenSSLHandler(context: tlsContext, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                    return handler.handshakeDone
                }.get()
            } catch {
                channel.close(promise: nil)
                throw FTPClientError(.tls, "cannot start TLS: \(error)")
            }
            try await Self.awaitHandshake(handshake, channel, timeout: configuration.connectTimeout)
        }
        return FTPClient(
            host: host, port: port, configuration: configuration, channel: channel, replies: iterator,
            greeting: greeting, tlsContext: tlsContext)
    }

    /// Waits for the control connection's TLS handshake; its failure (verification, pin) is the error.
    static func awaitHandshake(
        _ handshake: EventLoopFuture<Bool>?, _ channel: any Channel, timeout: Duration
    ) async throws(FTPClientError) {
        do {
            guard let done = handshake else { throw TLSError("the TLS handler is not set up") }
            let timer = channel.eventLoop.scheduleTask(in: .init(timeout)) { channel.close(promise: nil) }
            defer { timer.cancel() }
            _ = try await done.get()
        } catch {
            channel.close(promise: nil)
            throw FTPClientError(.tls, "TLS handshake with the server failed: \(error)")
        }
    }

    /// The control connection's newest TLS session, for data connections to resume.
    func controlSession() async -> TLSSession? {
        let channel = self.channel
        return try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: OpenSSLHandler.self).currentSession
        }.get()
    }

    deinit { self.channel.close(promise: nil) }

    /// The client runs on its control connection's event loop, and its data connections use the same loop: a
    /// received buffer reaches the consumer without waking another thread (measured: thread wake-ups were most of
    /// the CPU of a 1 GiB download when the actor ran on the shared pool).
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.channel.eventLoop.executor.asUnownedSerialExecutor()
    }

    // MARK: - Exclusive access

    /// Runs `body` with the connection to itself: FTP is strictly one command (and one transfer) at a time. A task
    /// cancelled while it waits its turn gets ``FTPClientError/Code/cancelled``.
    ///
    /// `body` throws only `FTPClientError`s (the client's own steps); Swift does not infer a closure literal's typed
    /// throws from its context yet, so anything else is reported as a local error rather than lost.
    @discardableResult
    func exclusive<T: Sendable>(_ body: () async throws -> T) async throws(FTPClientError) -> T {
        try await self.takeTurn()
        defer { self.endTurn() }
        do {
            return try await body()
        } catch let error as FTPClientError {
            self.noteFailure(error)
            throw error
        } catch {
            throw FTPClientError(.local, "\(error)")
        }
    }

    private func takeTurn() async throws(FTPClientError) {
        while self.busy {
            do {
                try await self.waiters.wait()
            } catch {
                throw FTPClientError(.cancelled, "cancelled while waiting for the connection")
            }
        }
        self.busy = true
        if let broken {
            self.endTurn()
            throw broken
        }
    }

    private func endTurn() {
        self.busy = false
        self.waiters.resumeNext()
    }

    private func noteFailure(_ error: FTPClientError) {
        if error.connectionIsBroken {
            self.broken = error
            self.channel.close(promise: nil)
        }
    }

    /// Whether the control connection is still usable.
    public var isConnected: Bool { self.broken == nil && self.channel.isActive }

    // MARK: - Replies

    static func next(
        _ iterator: inout AsyncThrowingStream<FTPReply, any Error>.AsyncIterator, channel: any Channel, timeout: Duration,
        isolation: isolated (any Actor)? = #isolation
    ) async throws(FTPClientError) -> FTPReply {
        let timedOut = TimeoutFlag()
        let timer = channel.eventLoop.scheduleTask(in: .init(timeout)) {
            timedOut.set()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            guard let reply = try await iterator.next(isolation: isolation) else {
                if Task.isCancelled { throw FTPClientError(.connectionClosed, "cancelled while waiting for a reply") }
                throw FTPClientError(.connectionClosed, "the server closed the connection")
            }
            return reply
        } catch {
            if timedOut.isSet { throw FTPClientError(.timeout, "no reply within \(timeout)") }
            if let e = error as? FTPClientError { throw e }
            throw FTPClientError(.connectionClosed, "\(error)")
        }
    }

    /// Reads the next reply. Shielded from the caller's cancellation: a reply that is owed must be read, or the
    /// session would fall out of step; the reply timeout still bounds the wait.
    func readReply(timeout: Duration? = nil) async throws(FTPClientError) -> FTPReply {
        let limit = timeout ?? self.configuration.replyTimeout
        let result = await Task { () async -> Result<FTPReply, FTPClientError> in
            var it = self.replies
            defer { self.replies = it }
            do {
                return .success(try await Self.next(&it, channel: self.channel, timeout: limit))
            } catch {
                return .failure((error as? FTPClientError) ?? FTPClientError(.connectionClosed, "\(error)"))
            }
        }.value
        return try result.get()
    }

    func send(_ line: String) async throws(FTPClientError) {
        // Checked on the bytes: a CR, an LF or a NUL in a path would end the command there and send the rest as
        // another one (`DELE a\r\nDELE b`). Not with Character comparisons, which see "\r\n" as one character
        // that is neither "\r" nor "\n" (the check held only through Foundation's substring overload).
        guard !line.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
            throw FTPClientError(.invalidState, "a command or path must not contain line breaks or NUL characters")
        }
        do {
            try await self.channel.writeAndFlush(ByteBuffer(string: line + "\r\n"))
        } catch {
            throw FTPClientError(.connectionClosed, "cannot send: \(error)")
        }
    }

    /// Sends a command and returns its final reply (skipping none: a `1xx` is returned as is).
    func command(_ line: String) async throws(FTPClientError) -> FTPReply {
        try await self.send(line)
        let reply = try await self.readReply()
        if reply.code == 421 {
            // "Service not available, closing control connection": whatever was asked, this session is over.
            let shown = line.hasPrefix("PASS ") ? "PASS ****" : line
            throw FTPClientError(.connectionClosed, "the server is closing the connection", reply: reply, command: shown)
        }
        return reply
    }

    /// Sends a command and requires one of `codes`, else throws a ``FTPClientError`` carrying the reply.
    @discardableResult
    func expect(_ line: String, _ codes: Set<Int>, display: String? = nil) async throws(FTPClientError) -> FTPReply {
        let reply = try await self.command(line)
        guard codes.contains(reply.code) else {
            throw FTPClientError(.replyError, "the server refused \(display ?? line)", reply: reply, command: display ?? line)
        }
        return reply
    }

    /// Sends any command and returns the server's reply, for what this API does not cover (`SITE …`).
    public func raw(_ command: String) async throws(FTPClientError) -> FTPReply {
        try await self.exclusive { try await self.command(command) }
    }

    // MARK: - Session

    /// Logs in (anonymously when `user` is `anonymous`), then reads the server's features and selects binary mode.
    public func login(user: String = "anonymous", password: String = "anonymous@") async throws(FTPClientError) {
        try await self.exclusive {
            var reply = try await self.command("USER \(user)")
            if reply.code == 331 || reply.code == 332 {
                try await self.send("PASS \(password)")
                reply = try await self.readReply()
            }
            guard reply.code == 230 || reply.code == 202 else {
                throw FTPClientError(.replyError, "login as \(user) failed", reply: reply, command: "PASS ****")
            }
            let feat = try await self.command("FEAT")
            self.features = feat.code == 211 ? FTPFeatures(reply: feat) : FTPFeatures()
            if self.tlsContext != nil, self.configuration.ftps?.protectData == true {
                try await self.expect("PBSZ 0", [200])
                try await self.expect("PROT P", [200])
                self.dataProtected = true
            }
            if self.features.supports("UTF8") { _ = try? await self.command("OPTS UTF8 ON") }
            try await self.setType(.binary)
        }
    }

    func setType(_ type: FTPDataType) async throws(FTPClientError) {
        guard self.type != type else { return }
        try await self.expect(type == .binary ? "TYPE I" : "TYPE A", [200])
        self.type = type
    }

    /// Sends `NOOP`: keeps the session alive and checks that it still answers.
    public func noop() async throws(FTPClientError) {
        try await self.exclusive { try await self.expect("NOOP", [200]) }
    }

    /// Says goodbye and closes the connection.
    public func quit() async throws(FTPClientError) {
        try await self.exclusive {
            _ = try? await self.command("QUIT")
            try? await self.channel.close()
            self.broken = FTPClientError(.invalidState, "the client has quit")
        }
    }

    /// Closes the connection without QUIT.
    public func close() async {
        try? await self.channel.close()
    }

    // MARK: - Files and directories

    /// The working directory (`PWD`), unquoted.
    public func currentDirectory() async throws(FTPClientError) -> String {
        try await self.exclusive {
            let reply = try await self.expect("PWD", [257])
            return Self.quotedPath(reply.text) ?? reply.text
        }
    }

    /// Changes the working directory (`CWD`).
    public func changeDirectory(_ path: String) async throws(FTPClientError) {
        try await self.exclusive { try await self.expect("CWD \(path)", [250, 200]) }
    }

    /// Creates a directory (`MKD`); returns the path the server says it made.
    @discardableResult
    public func makeDirectory(_ path: String) async throws(FTPClientError) -> String {
        try await self.exclusive {
            let reply = try await self.expect("MKD \(path)", [257, 250])
            return Self.quotedPath(reply.text) ?? path
        }
    }

    /// Removes an empty directory (`RMD`).
    public func removeDirectory(_ path: String) async throws(FTPClientError) {
        try await self.exclusive { try await self.expect("RMD \(path)", [250, 200]) }
    }

    /// Deletes a file (`DELE`).
    public func delete(_ path: String) async throws(FTPClientError) {
        try await self.exclusive { try await self.expect("DELE \(path)", [250, 200]) }
    }

    /// Renames or moves a file or directory (`RNFR`, then `RNTO`).
    public func rename(_ from: String, to: String) async throws(FTPClientError) {
        try await self.exclusive {
            try await self.expect("RNFR \(from)", [350])
            try await self.expect("RNTO \(to)", [250, 200])
        }
    }

    /// The size in bytes (RFC 3659 SIZE, in binary mode).
    public func size(of path: String) async throws(FTPClientError) -> UInt64 {
        try await self.exclusive {
            try await self.setType(.binary)
            let reply = try await self.expect("SIZE \(path)", [213])
            guard let size = FTPListParser.fileSize(reply.text.trimmingSpaces()) else {
                throw FTPClientError(.protocolViolation, "SIZE reply is not a file size", reply: reply, command: "SIZE \(path)")
            }
            return size
        }
    }

    /// The last modification time (RFC 3659 `MDTM`, UTC).
    public func modificationDate(of path: String) async throws(FTPClientError) -> Date {
        try await self.exclusive {
            let reply = try await self.expect("MDTM \(path)", [213])
            guard let date = FTPTimestamp.parse(reply.text.trimmingSpaces()) else {
                throw FTPClientError(.protocolViolation, "MDTM reply is not a time", reply: reply, command: "MDTM \(path)")
            }
            return date
        }
    }

    /// Sets the modification time (`MFMT`); `.notSupported` when the server has no `MFMT`.
    public func setModificationDate(of path: String, to date: Date) async throws(FTPClientError) {
        try await self.exclusive {
            guard self.features.supports("MFMT") else { throw FTPClientError(.notSupported, "the server has no MFMT") }
            try await self.expect("MFMT \(FTPTimestamp.format(date)) \(path)", [213])
        }
    }

    /// A file's digest computed by the server (the HASH extension), as lower-case hex.
    public func hash(of path: String, algorithm: FTPHashAlgorithm = .sha256) async throws(FTPClientError) -> String {
        try await self.exclusive {
            guard self.features.hashAlgorithms.contains(algorithm.rawValue) else {
                throw FTPClientError(.notSupported, "the server does not offer HASH \(algorithm.rawValue)")
            }
            try await self.expect("OPTS HASH \(algorithm.rawValue)", [200])
            let reply = try await self.expect("HASH \(path)", [213])
            // "SHA-256 0-49 <hex> <name>", split on scalars: a name that starts with a combining mark would fold
            // the space before it into the hash's last Character.
            let parts = reply.text.splitScalars(separator: " ", maxSplits: 3)
            guard parts.count >= 3, !parts[2].isEmpty, parts[2].unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit) else {
                throw FTPClientError(.protocolViolation, "unexpected HASH reply", reply: reply, command: "HASH \(path)")
            }
            return parts[2].lowercased()
        }
    }

    /// Free bytes for uploads (the AVBL extension).
    public func availableSpace(at path: String? = nil) async throws(FTPClientError) -> UInt64 {
        try await self.exclusive {
            guard self.features.supports("AVBL") else { throw FTPClientError(.notSupported, "the server has no AVBL") }
            let reply = try await self.expect(path.map { "AVBL \($0)" } ?? "AVBL", [213])
            guard let bytes = UInt64(reply.text.trimmingSpaces()) else {
                throw FTPClientError(.protocolViolation, "AVBL reply is not a number", reply: reply, command: "AVBL")
            }
            return bytes
        }
    }

    /// The path inside `257 "path" …`, with doubled quotes undone.
    static func quotedPath(_ text: String) -> String? {
        guard let open = text.firstIndex(of: "\"") else { return nil }
        var out = ""
        var i = text.index(after: open)
        while i < text.endIndex {
            if text[i] == "\"" {
                let next = text.index(after: i)
                if next < text.endIndex, text[next] == "\"" {
                    out.append("\"")
                    i = text.index(after: next)
                    continue
                }
                return out
            }
            out.append(text[i])
            i = text.index(after: i)
        }
        return nil
    }
}

/// Set once by a timer on the event loop, read after the wait it guards.
final class TimeoutFlag: Sendable {
    private let value = Mutex(false)
    func set() { self.value.withLock { $0 = true } }
    var isSet: Bool { self.value.withLock { $0 } }
}
