public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle

/// A tiny HTTP endpoint for operations: `GET /metrics` answers with `render()` (Prometheus' text format, say) and
/// `GET /health` with 200 or 503 from `healthy()`. Anything else is 404. For programs (ftpd, ftpbot); the libraries
/// only record metrics through the swift-metrics API.
public final class MetricsEndpoint: Service, Sendable {
    private let channel: any Channel
    /// The port actually bound (useful with port 0).
    public let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` and answers from then on; throws when the address cannot be had.
    public static func start(
        host: String, port: Int, render: @escaping @Sendable () -> String,
        healthy: @escaping @Sendable () -> Bool = { true },
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MetricsEndpoint {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render, healthy: healthy))
                }
            }
            .bind(host: host, port: port).get()
        return MetricsEndpoint(channel: channel)
    }

    /// Serves until a graceful shutdown of its service group, or cancellation, closes it (the endpoint answers from
    /// ``start(host:port:render:healthy:group:)`` on; this only ties its end to the group's).
    public func run() async throws {
        let channel = self.channel
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }

    /// Closes the endpoint.
    public func stop() async {
        try? await self.channel.close()
    }
}
