import FTPKit
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel, reading request bodies in pieces of up to 256 KiB instead of NIO's default
/// 64 KiB, and closing connections whose announced body was refused unsent (``ExpectContinueHandler``).
///
/// Connections that stop taking part are closed after `idleTimeout`: one that sends no request, or no part of its
/// request for that long (Hummingbird's idle timer: a client trickling headers or never sending any would otherwise
/// hold its socket forever), and one that reads nothing of a response for that long (``StallWatchdog`` on the
/// writes; Hummingbird's timer does not run while a response is written). A download link's reader that stops
/// reading would otherwise hold a connection to a storage node and the download's task for as long as it stays
/// connected.
///
/// A raw `PUT` through an upload link arrives as one body part per socket read. With 64 KiB reads the cluster
/// copied four parts into each 256 KiB chunk it sends to nodes (``Cluster``'s transfer size), and each part was its
/// own trip through the body's async sequence; at 256 KiB a fast upload's parts go to the nodes as they are. The
/// allocator stays adaptive, so a connection that only ever sees small requests keeps small buffers, and
/// `NIOAsyncChannel`'s backpressure (at most ten parts read ahead) bounds an upload's buffered bytes to 2.5 MiB.
struct WebChildChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    /// The largest socket read of a request body.
    static let maximumRead = 256 * 1024

    let base: HTTP1Channel
    let idleTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.setOption(
            ChannelOptions.recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maximumRead)
        ).flatMap {
            self.base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            // Where requests still carry their HTTP version: just before Hummingbird turns them into HTTP types.
            let pipeline = channel.pipeline.syncOperations
            let conversion = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(ExpectContinueHandler(), position: .before(conversion))
            let timeout = self.idleTimeout
            try pipeline.addHandler(StallWatchdog(watching: .writes, timeout: timeout) { context in
                logger.notice("a web client read nothing of its response; closing", metadata: ["timeout": "\(timeout)"])
                StallWatchdog.reset(context.channel)  // a FIN would wait behind the unread bytes
            }, position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }

    /// The server builder an `Application` takes.
    static func builder(idleTimeout: Duration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            WebChildChannel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .init(idleTimeout))),
                idleTimeout: idleTimeout)
        }
    }
}
