import NIOCore

/// Turns control lines into replies and hands them to the client through an async stream. A malformed or
/// truncated reply ends the stream with a typed error.
final class FTPReplyStreamHandler: ChannelInboundHandler {
    typealias InboundIn = FTPControlLine

    private var parser = FTPReplyParser()
    private let sink: AsyncThrowingStream<FTPReply, any Error>.Continuation

    init(sink: AsyncThrowingStream<FTPReply, any Error>.Continuation) {
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .tooLong:
            self.fail(context, FTPClientError(.protocolViolation, "the server sent an over-long reply line"))
        case .line(let buffer):
            let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
            do {
                if let reply = try self.parser.feed(text) { self.sink.yield(reply) }
            } catch {
                self.fail(context, FTPClientError(.protocolViolation, "the server sent a malformed reply: \(error)"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let message = self.parser.isInsideReply
            ? "the server closed the connection in the middle of a reply" : "the server closed the connection"
        self.sink.finish(throwing: FTPClientError(.connectionClosed, message))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context, FTPClientError(.connectionClosed, "control connection error: \(error)"))
    }

    private func fail(_ context: ChannelHandlerContext, _ error: FTPClientError) {
        self.sink.finish(throwing: error)
        context.close(promise: nil)
    }
}
