public import FTPKit
import Foundation

/// One node as the cluster sees it: a small connection pool, a circuit breaker so a dead node costs no waiting,
/// and the load figures strategies decide on.
public actor ClusterNode {
    public let configuration: NodeConfiguration
    let pool: FTPConnectionPool
    private var breaker: CircuitBreaker
    private var usedBytes: UInt64 = 0
    private var freeBytes: UInt64?
    private var activeTransfers = 0
    /// The last health check's round-trip time.
    public private(set) var latency: Duration?
    public private(set) var lastError: String?

    public init(configuration: NodeConfiguration, breaker: CircuitBreaker.Configuration = .init()) {
        self.configuration = configuration
        var client = FTPClientConfiguration()
        client.connectTimeout = configuration.connectTimeout
        client.replyTimeout = configuration.replyTimeout
        client.dataTimeout = configuration.dataTimeout
        client.ftps = configuration.ftps
        self.pool = FTPConnectionPool(configuration: .init(
            host: configuration.host, port: configuration.port, user: configuration.user,
            password: configuration.password, client: client, maxConnections: configuration.maxConnections,
            keepAliveInterval: .seconds(30)))
        self.breaker = CircuitBreaker(configuration: breaker)
    }

    public nonisolated var name: String { self.configuration.name }

    /// The figures for placement.
    public func load(now: ContinuousClock.Instant = .now) -> NodeLoad {
        NodeLoad(
            id: self.configuration.name, usedBytes: self.usedBytes, freeBytes: self.freeBytes,
            activeTransfers: self.activeTransfers, weight: self.configuration.weight,
            isHealthy: self.breaker.isAvailable(now: now))
    }

    public func isAvailable(now: ContinuousClock.Instant = .now) -> Bool { self.breaker.isAvailable(now: now) }

    /// Runs `body` with a connection, unless the circuit is open: then it fails at once. Connection-level
    /// failures count against the node; a refused command (5xx on one file) does not.
    public func withClient<R: Sendable>(_ body: @Sendable (FTPClient) async throws -> R) async throws -> R {
        guard self.breaker.allowRequest(now: .now) else {
            throw ClusterError(.noNodeAvailable, "node \(self.name) is down\(self.lastError.map { " (\($0))" } ?? "")")
        }
        self.activeTransfers += 1
        defer { self.activeTransfers -= 1 }
        do {
            let result = try await self.pool.withConnection(body)
            self.breaker.recordSuccess()
            return result
        } catch let error as FTPClientError where !error.isTransient && error.code == .replyError {
            self.breaker.recordSuccess()  // the node answered; the request itself was refused
            throw error
        } catch {
            self.breaker.recordFailure(now: .now, random: Double.random(in: 0..<1))
            self.lastError = "\(error)"
            throw error
        }
    }

    /// NOOP round trip and fresh load figures (bytes stored in the cluster directory, free space when offered).
    public func refresh() async {
        let directory = self.configuration.directory
        do {
            let (elapsed, used, free) = try await self.withClient { client in
                let start = ContinuousClock.now
                try await client.noop()
                let elapsed = ContinuousClock.now - start
                let entries = try await client.list(directory)
                let used = entries.filter(\.isFile).reduce(UInt64(0)) { $0 + ($1.size ?? 0) }
                let free = await client.features.supports("AVBL") ? try? await client.availableSpace(at: directory) : nil
                return (elapsed, used, free)
            }
            self.latency = elapsed
            self.usedBytes = used
            self.freeBytes = free
            self.lastError = nil
        } catch {
            self.lastError = "\(error)"
        }
    }

    /// Adjusts the load after a change made through this cluster, before the next refresh.
    func account(addedBytes: Int64) {
        self.usedBytes = UInt64(max(0, Int64(self.usedBytes) + addedBytes))
        if let free = self.freeBytes { self.freeBytes = UInt64(max(0, Int64(free) - addedBytes)) }
    }

    public func close() async { await self.pool.close() }
}
