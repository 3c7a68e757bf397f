import NIOCore

/// The last handler of a control connection: hands the connection to the registry the moment it is active.
final class SessionAdmissionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Never

    private let registry: FTPSessionRegistry

    init(registry: FTPSessionRegistry) { self.registry = registry }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        self.registry.admit(context.channel)
    }
}
