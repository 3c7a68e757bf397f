import NIOCore
import Synchronization

/// Ends a client data connection that waited on the server for the data timeout with no byte moved
/// (``DataStallState``). A cut link (a VPN gone, a host unplugged) sends no reset, so without this a transfer would
/// wait for TCP's own give-up: many minutes. Sits nearest the socket, so it sees what really crosses it (TLS
/// records included) and only the reads that backpressure let through.
///
/// A stalled upload is closed with a reset, never a FIN: on a data connection a FIN is the end of the file, and the
/// server would store the part it had as the whole.
final class DataStallWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Set once the watchdog ended the connection, so the transfer reports a timeout rather than what the
    /// close made of its last write.
    final class Verdict: Sendable {
        private let stalled = Atomic<Bool>(false)
        var isStalled: Bool { self.stalled.load(ordering: .acquiring) }
        fileprivate func markStalled() { self.stalled.store(true, ordering: .releasing) }
    }

    private var state: DataStallState
    private let timeout: Duration
    private let verdict: Verdict
    private var check: Scheduled<Void>?

    init(direction: DataStallState.Direction, timeout: Duration, verdict: Verdict) {
        self.state = DataStallState(direction: direction, timeout: .init(timeout))
        self.timeout = timeout
        self.verdict = verdict
    }

    /// The error a stalled transfer reports.
    static func error(after timeout: Duration) -> FTPClientError {
        FTPClientError(.timeout, "the data connection moved no data for \(timeout) while waiting on the server")
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.scheduleCheck(context: context)
    }

    /// Checked a few times per timeout: a stall is seen at most a quarter of the timeout late.
    private func scheduleCheck(context: ChannelHandlerContext) {
        let interval = TimeAmount.nanoseconds(max(self.state.timeout.nanoseconds / 4, 1_000_000))
        self.check = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            self.checkForStall(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.state.bytesRead(now: .now())
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        self.state.readRequested(now: .now())
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.state.writeStarted(now: .now())
        let done = promise ?? context.eventLoop.makePromise()
        let loop = context.eventLoop
        done.futureResult.assumeIsolated().whenComplete { [self] _ in
            loop.preconditionInEventLoop()
            self.state.writeFinished(now: .now())
        }
        context.write(data, promise: done)
    }

    private func checkForStall(context: ChannelHandlerContext) {
        guard self.check != nil else { return }  // removed or closed meanwhile
        guard self.state.isStalled(now: .now()) else {
            self.scheduleCheck(context: context)
            return
        }
        self.check = nil
        self.verdict.markStalled()
        context.fireErrorCaught(Self.error(after: self.timeout))
        let channel = context.channel
        if self.state.direction == .upload {
            FTPClient.resetOnClose(channel).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }
}
