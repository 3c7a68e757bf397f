package import NIOCore

/// Calls `onStall` once when a connection has waited on its peer for the timeout with no byte moved
/// (``StallState``), then stops watching. Sits nearest the socket (add it `.first`), so it sees what really crosses
/// it (TLS records included) and only the reads that backpressure let through.
///
/// The client's data connections use it (a cut link sends no reset, so without it a transfer would wait for TCP's
/// own give-up: many minutes), and so does the bot's web front end, for clients that stop reading a response.
package final class StallWatchdog: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias InboundOut = ByteBuffer
    package typealias OutboundIn = IOData
    package typealias OutboundOut = IOData

    private var state: StallState
    private let onStall: (ChannelHandlerContext) -> Void
    private var check: Scheduled<Void>?

    /// `onStall` runs on the channel's event loop; it decides what to do (usually: close the channel).
    package init(watching watched: StallState.Watched, timeout: Duration, onStall: @escaping (ChannelHandlerContext) -> Void) {
        self.state = StallState(watching: watched, timeout: .init(timeout))
        self.onStall = onStall
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.scheduleCheck(context: context)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.state.bytesRead(now: .now())
        context.fireChannelRead(data)
    }

    package func read(context: ChannelHandlerContext) {
        self.state.readRequested(now: .now())
        context.read()
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.state.writeStarted(now: .now())
        let done = promise ?? context.eventLoop.makePromise()
        done.futureResult.assumeIsolated().whenComplete { [self] _ in
            self.state.writeFinished(now: .now())
        }
        context.write(data, promise: done)
    }

    /// Closes `channel` with a reset (SO_LINGER 0) rather than a FIN: the bytes still queued for a peer that stopped
    /// reading are dropped at once, and the peer learns now, not after them.
    package static func reset(_ channel: any Channel) {
        FTPClient.resetOnClose(channel).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Checked a few times per timeout: a stall is seen at most a quarter of the timeout late.
    private func scheduleCheck(context: ChannelHandlerContext) {
        let interval = TimeAmount.nanoseconds(max(self.state.timeout.nanoseconds / 4, 1_000_000))
        self.check = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            self.checkForStall(context: context)
        }
    }

    private func checkForStall(context: ChannelHandlerContext) {
        guard self.check != nil else { return }  // removed or closed meanwhile
        guard self.state.isStalled(now: .now()) else {
            self.scheduleCheck(context: context)
            return
        }
        self.check = nil
        self.onStall(context)
    }
}
