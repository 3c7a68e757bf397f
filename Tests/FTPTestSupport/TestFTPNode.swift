public import FTPKit
import Logging
import Synchronization

/// An FTP node for tests, in this process: an `FTPServer` on loopback that a test can kill (sessions and transfers
/// cut at once) and start again on the same port, over the same files — a cluster node that dies and comes back.
/// The one harness the Balancer and bot tests share.
public final class TestFTPNode: Sendable {
    public let name: String
    public let user: String
    public let password: String
    /// Called at each start: the storage the server serves (the same files each time, or a fresh view of them).
    private let makeStorage: @Sendable () throws -> any FTPStorage
    /// How long the server waits on a silent data connection (`nil`: the server's default).
    private let dataTimeout: Duration?
    private let state = Mutex<(server: FTPServer?, task: Task<Void, any Error>?, port: Int)>((nil, nil, 0))

    public init(
        name: String, user: String, password: String, dataTimeout: Duration? = nil,
        makeStorage: @escaping @Sendable () throws -> any FTPStorage
    ) {
        self.name = name
        self.dataTimeout = dataTimeout
        self.user = user
        self.password = password
        self.makeStorage = makeStorage
    }

    /// The port it listens on (0 before the first start; the same one after a restart).
    public var port: Int { self.state.withLock { $0.port } }

    public func start() async throws {
        var config = FTPServerConfiguration(
            host: "127.0.0.1", port: self.port, storage: try self.makeStorage(),
            authenticator: StaticAuthenticator([(self.user, self.password, .all)]))
        config.loginFailureDelay = .milliseconds(10)
        if let dataTimeout = self.dataTimeout { config.dataTimeout = dataTimeout }
        var logger = Logger(label: "test-node")
        logger.logLevel = .critical
        let server = try await FTPServer.bind(configuration: config, logger: logger)
        let task = Task { try await server.run() }
        self.state.withLock { $0 = (server, task, server.localPort) }
    }

    /// Stops at once: sessions and transfers are cut, as a crash would.
    public func kill() async {
        let (server, task) = self.state.withLock { ($0.server, $0.task) }
        await server?.shutdown(gracePeriod: .zero)
        _ = try? await task?.value
        self.state.withLock {
            $0.server = nil
            $0.task = nil
        }
    }
}
