import NIOCore

/// The last handler of a control connection: hands the connection to the registry the moment it is active, then
/// leaves the pipeline (nothing else passes through it for the rest of the session).
final class SessionAdmissionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Never

    private let registry: FTPSessionRegistry

    init(registry: FTPSessionRegistry) { self.registry = registry }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        self.registry.admit(context.channel)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
