import Logging
import NIOCore
import Synchronization

/// On a listening socket: when accepts fail for lack of descriptors or memory, stops accepting for
/// ``AcceptFailureLog/pause`` and logs as ``AcceptFailureLog`` decides.
///
/// NIO's `AcceptBackoffHandler` does not help here: it delays the next `read`, but a failed accept leaves the
/// channel's read pending, so the socket stays registered for readability and the loop keeps waking (measured:
/// one failed `accept4` per `epoll_wait`, both cores busy). Turning `autoRead` off unregisters the socket until the
/// pause ends; the clients meanwhile wait in the kernel's queue.
final class AcceptFailureHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel

    /// One ``AcceptFailureLog`` for the sockets of a port.
    final class SharedLog: Sendable {
        let state = Mutex(AcceptFailureLog())
    }

    /// Shared by the sockets of one port (one per event loop), so a shortage is one line, not one per socket.
    private let log: AcceptFailureHandler.SharedLog
    private var paused = false
    private let logger: Logger

    init(logger: Logger, log: AcceptFailureHandler.SharedLog) {
        self.logger = logger
        self.log = log
    }

    /// Adds the handler to `serverChannel`'s pipeline (call from a server channel initializer); the sockets of one
    /// port pass the same `log`.
    static func install(
        on serverChannel: any Channel, logger: Logger,
        log: AcceptFailureHandler.SharedLog = AcceptFailureHandler.SharedLog()
    ) throws {
        try serverChannel.pipeline.syncOperations.addHandler(AcceptFailureHandler(logger: logger, log: log))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let code = (error as? IOError)?.errnoCode, AcceptFailureLog.pauses(errno: code) else {
            context.fireErrorCaught(error)
            return
        }
        let now = NIODeadline.now()
        if case .log(let sentence, let failures) = self.log.state.withLock({ $0.failed(errno: code, at: now) }) {
            let port = context.channel.localAddress?.port.map(String.init) ?? "?"
            self.logger.error("\(sentence)", metadata: ["port": "\(port)", "failed_accepts": "\(failures)"])
        }
        guard !self.paused, let options = context.channel.syncOptions else { return }
        self.paused = true
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: AcceptFailureLog.pause) {
            handler.value.paused = false
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}
