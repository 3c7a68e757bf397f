public import NIOCore
public import NIOPosix

/// A few logged-in ``FTPClient`` connections to one server, shared by concurrent tasks.
///
/// A control connection carries one transfer at a time, so parallel work needs several. The pool opens them on
/// demand up to ``Configuration/maxConnections``, queues callers beyond that, drops connections that broke (a
/// lost or timed-out control connection) and keeps idle ones alive with NOOP so servers' idle timeouts do not
/// close them.
public actor FTPConnectionPool {
    /// Where the pool connects and how many connections it keeps. Its descriptions leave the password out.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        /// The server's host.
        public var host: String
        /// The server's port.
        public var port: Int
        /// The user every connection logs in as.
        public var user: String
        /// That user's password (never logged).
        public var password: String
        /// Settings of each connection.
        public var client: FTPClientConfiguration
        /// The most connections open at once (at least 1); callers beyond wait their turn.
        public var maxConnections: Int
        /// Idle connections get a NOOP this often; `nil` disables keep-alive.
        public var keepAliveInterval: Duration?
        /// Idle connections unused for this long are closed.
        public var idleTimeout: Duration
        /// The time the pool goes by (how long a connection sat idle); tests move it instead of waiting.
        package var now: @Sendable () -> ContinuousClock.Instant = { .now }

        /// A pool's settings; see each property.
        public init(
            host: String, port: Int = 21, user: String = "anonymous", password: String = "anonymous@",
            client: FTPClientConfiguration = FTPClientConfiguration(), maxConnections: Int = 4,
            keepAliveInterval: Duration? = .seconds(60), idleTimeout: Duration = .seconds(600)
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.client = client
            self.maxConnections = max(1, maxConnections)
            self.keepAliveInterval = keepAliveInterval
            self.idleTimeout = idleTimeout
        }

        /// `ftp://user@host:port, up to N connections`, without the password.
        public var description: String {
            "ftp\(self.client.ftps == nil ? "" : "s")://\(self.user)@\(self.host):\(self.port), up to \(self.maxConnections) connections"
        }

        /// The same as ``description``, so the password stays out of `String(reflecting:)` too.
        public var debugDescription: String { self.description }
    }

    /// The settings the pool was made with.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private var idle: [(client: FTPClient, since: ContinuousClock.Instant)] = []
    private var open = 0
    /// Callers waiting for a connection; a cancelled one leaves the queue.
    private let waiters = WaiterQueue()
    private var keepAlive: Task<Void, Never>?
    private var closed = false

    /// A pool that connects on first use, on `group`'s event loops.
    public init(configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Connections open now (idle and in use).
    public var openConnections: Int { self.open }
    /// Connections open and waiting for a caller.
    public var idleConnections: Int { self.idle.count }

    /// Runs `body` with a connection of its own. A connection whose control channel broke is discarded, not
    /// returned to the pool.
    ///
    /// - Parameter idempotent: `true` when `body` may safely run twice (a NOOP, a listing, a download into
    ///   memory). A connection taken from the idle list may have been closed by the server a moment ago, before
    ///   the pool could see it; when `body` then fails because the connection was lost (or the server's 421 was
    ///   waiting on it), it runs once more on a new connection, so the caller learns the server's state now, not
    ///   the old connection's. HTTP clients retry idempotent requests on a reused connection the same way.
    public func withConnection<R: Sendable>(
        idempotent: Bool = false, _ body: (FTPClient) async throws -> R
    ) async throws -> R {
        let (client, reused) = try await self.acquire()
        do {
            return try await self.run(body, on: client)
        } catch where idempotent && reused && Self.closedByServer(error) && !Task.isCancelled {
            return try await self.run(body, on: try await self.acquire(fresh: true).client)
        }
    }

    /// `body` on `client`, which goes back to the pool (or is closed, when broken) however `body` ends.
    private func run<R: Sendable>(_ body: (FTPClient) async throws -> R, on client: FTPClient) async throws -> R {
        do {
            let result = try await body(client)
            await self.release(client)
            return result
        } catch {
            await self.release(client)
            throw error
        }
    }

    /// A failure that says the server ended the control connection: it closed it, or answered 421 (closing).
    /// A data connection lost before a whole control reply leaves the session usable, and is not one.
    private static func closedByServer(_ error: any Error) -> Bool {
        guard let error = error as? FTPClientError, error.connectionIsBroken else { return false }
        return error.code == .connectionClosed || error.replyCode == 421
    }

    /// Closes every idle connection and refuses new work; connections in use close when released.
    public func close() async {
        self.closed = true
        self.keepAlive?.cancel()
        let idle = self.idle
        self.idle = []
        for entry in idle {
            self.open -= 1
            try? await entry.client.quit()
        }
        self.waiters.resumeAll()
    }

    /// A connection, and whether it was reused from the idle list. `fresh`: skip idle connections and open a new
    /// one (waiting for room like any caller), after a reused one turned out closed.
    private func acquire(fresh: Bool = false) async throws -> (client: FTPClient, reused: Bool) {
        while true {
            guard !self.closed else { throw FTPClientError(.invalidState, "the connection pool is closed") }
            self.startKeepAliveIfNeeded()
            if !fresh, let entry = self.idle.popLast() {
                // A connection idle for a while may have been closed by the server (its 421 still unread):
                // test it before handing it out.
                if await entry.client.isConnected {
                    if self.configuration.now() - entry.since < .seconds(1) { return (entry.client, true) }
                    if (try? await entry.client.noop()) != nil { return (entry.client, true) }
                }
                self.open -= 1
                await entry.client.close()
                continue
            }
            if fresh, self.open >= self.configuration.maxConnections, let entry = self.idle.first {
                // No room for a new connection, but an idle one holds a place: it goes, so the retry is not
                // served by a connection as old as the one that just failed.
                self.idle.removeFirst()
                self.open -= 1
                await entry.client.close()
                continue
            }
            if self.open < self.configuration.maxConnections {
                self.open += 1
                do {
                    var client: FTPClient? = nil
                    client = try await FTPClient.connect(
                        host: self.configuration.host, port: self.configuration.port,
                        configuration: self.configuration.client, group: self.group)
                    try await client!.login(user: self.configuration.user, password: self.configuration.password)
                    return (client!, false)
                } catch {
                    self.open -= 1
                    self.wakeOne()
                    throw error
                }
            }
            try await self.waiters.wait()
        }
    }

    private func release(_ client: FTPClient) async {
        if !self.closed, await client.isConnected {
            self.idle.append((client, self.configuration.now()))
        } else {
            self.open -= 1
            await client.close()
        }
        self.wakeOne()
    }

    private func wakeOne() {
        self.waiters.resumeNext()
    }

    private func startKeepAliveIfNeeded() {
        guard self.keepAlive == nil, let interval = self.configuration.keepAliveInterval else { return }
        self.keepAlive = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.pingIdle()
            }
        }
    }

    /// NOOPs idle connections; drops those that fail or sat unused past the idle timeout (by the pool's time,
    /// ``Configuration/now``).
    package func pingIdle() async {
        let now = self.configuration.now()
        let entries = self.idle
        self.idle = []
        var keep: [(client: FTPClient, since: ContinuousClock.Instant)] = []
        for entry in entries {
            if now - entry.since > self.configuration.idleTimeout {
                self.open -= 1
                try? await entry.client.quit()
                continue
            }
            do {
                try await entry.client.noop()
                keep.append(entry)
            } catch {
                self.open -= 1
                await entry.client.close()
            }
        }
        // Connections released while we were pinging went straight to `idle`.
        self.idle = keep + self.idle
        for _ in 0..<min(self.waiters.count, self.configuration.maxConnections - self.open + self.idle.count) {
            self.wakeOne()
        }
    }
}
