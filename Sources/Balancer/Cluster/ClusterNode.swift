public import FTPKit
import Foundation
public import Logging

/// One node as the cluster sees it: a small connection pool, a circuit breaker so a dead node costs no waiting,
/// and the load figures strategies decide on.
public actor ClusterNode {
    /// How to reach the node and how long to wait for it.
    public let configuration: NodeConfiguration
    let pool: FTPConnectionPool
    private let logger: Logger
    private var breaker: CircuitBreaker
    private var usedBytes: UInt64 = 0
    private var freeBytes: UInt64?
    private var activeTransfers = 0
    /// Space directories known to exist on this node (made by this cluster or seen in a listing).
    private var directories: Set<Space> = []
    /// The last health check's round-trip time.
    public private(set) var latency: Duration?
    /// Why the last health check or transfer failed, in a few plain words ("connection refused"); `nil` once a
    /// check succeeded. The full error goes to the log.
    public private(set) var lastError: String?

    /// The time the circuit breaker decides by: the clock, or a test's.
    private let now: @Sendable () -> ContinuousClock.Instant

    /// A node reached through `configuration`, its health followed by a circuit breaker of `breaker`.
    public init(
        configuration: NodeConfiguration, breaker: CircuitBreaker.Configuration = .init(),
        logger: Logger = Logger(label: "Balancer.ClusterNode")
    ) {
        self.init(configuration: configuration, breaker: breaker, now: { .now }, logger: logger)
    }

    package init(
        configuration: NodeConfiguration, breaker: CircuitBreaker.Configuration,
        now: @escaping @Sendable () -> ContinuousClock.Instant, logger: Logger
    ) {
        self.now = now
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
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.name)"
        self.logger = logger
    }

    /// The node's name, as configured.
    public nonisolated var name: String { self.configuration.name }

    /// The figures for placement.
    public func load(now: ContinuousClock.Instant? = nil) -> NodeLoad {
        NodeLoad(
            id: self.configuration.name, usedBytes: self.usedBytes, freeBytes: self.freeBytes,
            activeTransfers: self.activeTransfers, weight: self.configuration.weight,
            isHealthy: self.breaker.isAvailable(now: now ?? self.now()))
    }

    /// Whether the node may take requests now (its circuit is closed, or ready for a probe).
    public func isAvailable(now: ContinuousClock.Instant? = nil) -> Bool { self.breaker.isAvailable(now: now ?? self.now()) }

    /// Runs `body` with a connection, unless the circuit is open: then it fails at once. Connection-level
    /// failures count against the node; a refused command (5xx on one file) does not. `idempotent`: `body` may
    /// run twice, so a pooled connection the node closed a moment ago is retried on a new one
    /// (``FTPConnectionPool/withConnection(idempotent:_:)``) and the failure, if any, is the node's state now.
    public func withClient<R: Sendable>(
        idempotent: Bool = false, _ body: @Sendable (FTPClient) async throws -> R
    ) async throws -> R {
        guard self.breaker.allowRequest(now: self.now()) else {
            throw ClusterError(.noNodeAvailable, "node \(self.name) is down\(self.lastError.map { " (\($0))" } ?? "")")
        }
        self.activeTransfers += 1
        defer { self.activeTransfers -= 1 }
        do {
            let result = try await self.pool.withConnection(idempotent: idempotent, body)
            self.breaker.recordSuccess()
            return result
        } catch let error as FTPClientError where !error.isTransient && error.code == .replyError {
            self.breaker.recordSuccess()  // the node answered; the request itself was refused
            throw error
        } catch let error where Self.isCallersOwn(error) {
            // The caller's side ended the transfer (its source or consumer failed, or it was cancelled: a web
            // client hanging up mid-download); the node did nothing wrong, and its health is left as it was.
            throw error
        } catch {
            self.breaker.recordFailure(now: self.now(), random: Double.random(in: 0..<1))
            self.recordFailure(error)
            throw error
        }
    }

    /// Whether `error` came from the caller's side of a transfer rather than from the node.
    static func isCallersOwn(_ error: any Error) -> Bool {
        if error is CancellationError || error is CounterpartPaused || Task.isCancelled { return true }
        guard let error = error as? FTPClientError else { return false }
        return error.code == .local || error.code == .cancelled
    }

    private func recordFailure(_ error: any Error) {
        let reason = Self.plainReason(error)
        if reason != self.lastError {
            self.logger.warning("node failed", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
        self.lastError = reason
    }

    /// A failure in a few words for people; the details stay in the log.
    public static func plainReason(_ error: any Error) -> String {
        switch error {
        case let e as FTPClientError: e.plainReason
        case let e as ClusterError: e.message
        case is CancellationError: "cancelled"
        default: "failed"
        }
    }

    /// The path of `name` in `space` on this node (`Space.topLevel`: the cluster directory itself).
    nonisolated func path(_ name: String, in space: Space) -> String {
        self.configuration.path(space.name.isEmpty ? name : space.name + "/" + name)
    }

    nonisolated func directory(of space: Space) -> String {
        space.name.isEmpty ? self.configuration.directory : self.configuration.path(space.name)
    }

    /// Makes the space's directory unless it is known to exist. An answer "exists already" is not a failure: the
    /// next command on it tells whether the directory is really usable.
    func ensureDirectory(_ space: Space, client: FTPClient) async {
        guard !space.name.isEmpty, !self.directories.contains(space) else { return }
        do {
            _ = try await client.makeDirectory(self.directory(of: space))
            self.directories.insert(space)
        } catch where error.code == .replyError {
            self.directories.insert(space)  // most likely there already; a real problem shows on the next command
        } catch {
            self.logger.debug("MKD of a space failed", metadata: ["space": "\(space)", "error": "\(error)"])
        }
    }

    /// NOOP round trip and free space when the node offers AVBL. Used bytes come from the catalog
    /// (``setUsedBytes(_:)``): listing every space of every node would cost a LIST per space.
    public func refresh() async {
        let directory = self.configuration.directory
        do {
            let (elapsed, free) = try await self.withClient(idempotent: true) { client in
                let start = ContinuousClock.now
                try await client.noop()
                let elapsed = ContinuousClock.now - start
                let free = await client.features.supports("AVBL") ? try? await client.availableSpace(at: directory) : nil
                return (elapsed, free)
            }
            self.latency = elapsed
            self.freeBytes = free
            if self.lastError != nil { self.logger.notice("node answers again") }
            self.lastError = nil
        } catch {
            self.recordFailure(error)
        }
    }

    /// The bytes of the cluster's files recorded on this node.
    func setUsedBytes(_ bytes: UInt64) { self.usedBytes = bytes }

    /// Adjusts the load after a change made through this cluster, before the next refresh.
    /// Saturating: free space comes from the node's AVBL answer, which may be any number up to 2^64 − 1.
    func account(addedBytes: Int64) {
        self.usedBytes = Self.adjust(self.usedBytes, by: addedBytes)
        if let free = self.freeBytes { self.freeBytes = Self.adjust(free, by: addedBytes == .min ? .max : -addedBytes) }
    }

    static func adjust(_ value: UInt64, by delta: Int64) -> UInt64 {
        delta >= 0 ? value.addingClamped(UInt64(delta)) : value.subtractingClamped(delta.magnitude)
    }

    /// Closes the node's connections (at shutdown).
    public func close() async { await self.pool.close() }
}
