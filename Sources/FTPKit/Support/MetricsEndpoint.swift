public import NIOCore
import NIOHTTP1
public import NIOPosix

/// A tiny HTTP endpoint for operations: `GET /metrics` answers with `render()` (Prometheus' text format, say) and
/// `GET /health` with 200 or 503 from `healthy()`. Anything else is 404. For programs (ftpd, ftpbot); the library
/// itself only records metrics through the swift-metrics API.
public final class MetricsEndpoint: Sendable {
    private let channel: any Channel
    /// The port actually bound (useful with port 0).
    public let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

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

    public func stop() async {
        try? await self.channel.close()
    }
}

private final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let render: @Sendable () -> String
    let healthy: @Sendable () -> Bool
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String, healthy: @escaping @Sendable () -> Bool) {
        self.render = render
        self.healthy = healthy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
            let (status, type, body): (HTTPResponseStatus, String, String)
            switch (head.method, path) {
            case (.GET, "/metrics"): (status, type, body) = (.ok, "text/plain; version=0.0.4", self.render())
            case (.GET, "/health"):
                let ok = self.healthy()
                (status, type, body) = (ok ? .ok : .serviceUnavailable, "text/plain", ok ? "ok\n" : "unhealthy\n")
            default: (status, type, body) = (.notFound, "text/plain", "not found\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Connection", value: head.isKeepAlive ? "keep-alive" : "close")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}
