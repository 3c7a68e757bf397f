import NIOCore

/// Closes a client data connection that moved no bytes either way for the data timeout. A cut link (a VPN gone,
/// a host unplugged) sends no reset, so without this a transfer would wait for TCP's own give-up: many minutes.
final class DataIdleTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: Duration

    init(timeout: Duration) { self.timeout = timeout }

    /// The idle detector and this handler, for the front of a data channel's pipeline.
    static func handlers(timeout: Duration) -> [any ChannelHandler] {
        [IdleStateHandler(allTimeout: .init(timeout)), DataIdleTimeoutHandler(timeout: timeout)]
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.fireErrorCaught(FTPClientError(.timeout, "the data connection moved no data for \(self.timeout)"))
        context.close(promise: nil)
    }
}
