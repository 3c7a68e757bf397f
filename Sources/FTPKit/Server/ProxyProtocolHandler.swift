import NIOCore

/// The first handler of a control connection when PROXY protocol is configured. From a trusted proxy it requires
/// a PROXY header (v1 or v2), reports it, and passes on what follows; from anyone else a PROXY header is refused
/// (421 and close) — a client must not choose its own address — and other bytes pass through untouched.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let trusted: Bool
    private var buffered = ByteBuffer()
    private let promise: EventLoopPromise<ProxyProtocolHeader?>
    private var decided = false

    /// The header from a trusted proxy (nil from an untrusted peer that sent none); fails when a trusted proxy
    /// sent none or garbage.
    var header: EventLoopFuture<ProxyProtocolHeader?> { self.promise.futureResult }

    init(trusted: Bool, eventLoop: any EventLoop) {
        self.trusted = trusted
        self.promise = eventLoop.makePromise(of: ProxyProtocolHeader?.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = Self.unwrapInboundIn(data)
        guard !self.decided else {
            context.fireChannelRead(data)
            return
        }
        self.buffered.writeBuffer(&chunk)
        switch ProxyProtocolHeader.parse(self.buffered.readableBytesView) {
        case .incomplete:
            return
        case .header(let header, let length):
            guard self.trusted else {
                return self.refuse(context, "PROXY protocol is not accepted from this address.", error: "untrusted PROXY header")
            }
            self.buffered.moveReaderIndex(forwardBy: length)
            self.pass(context, header)
        case .absent:
            guard !self.trusted else {
                return self.refuse(context, "Connections from the proxy must start with a PROXY header.", error: "no PROXY header")
            }
            self.pass(context, nil)
        case .invalid(let why):
            self.refuse(context, "Invalid PROXY header.", error: why)
        }
    }

    private func pass(_ context: ChannelHandlerContext, _ header: ProxyProtocolHeader?) {
        self.decided = true
        self.promise.succeed(header)
        if self.buffered.readableBytes > 0 {
            context.fireChannelRead(Self.wrapInboundOut(self.buffered))
            context.fireChannelReadComplete()
        }
        self.buffered = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, _ text: String, error: String) {
        self.decided = true
        self.promise.fail(ProxyProtocolError(message: error))
        let reply = context.channel.allocator.buffer(string: FTPReply(421, text).encoded)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.decided {
            self.decided = true
            self.promise.fail(ProxyProtocolError(message: "closed before a PROXY header"))
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !self.decided { self.promise.fail(ProxyProtocolError(message: "handler removed")) }
    }
}

struct ProxyProtocolError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
