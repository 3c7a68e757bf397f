import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes the connection after a response given while the client still holds back a body it announced with
/// `Expect: 100-continue` (``ExpectContinueState`` decides; this handler only carries it out). Sits in Hummingbird's
/// HTTP/1 pipeline after the HTTP/1 codec, so it sees requests and responses as HTTP parts.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var state = ExpectContinueState()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            let expectsContinue = head.headerFields[.expect]?.lowercased() == "100-continue"
            let length = head.headerFields[.contentLength].flatMap { Int($0) }
            let hasBody = head.headerFields[.transferEncoding] != nil || (length ?? 0) > 0
            self.state.requestHead(expectsContinue: expectsContinue, hasBody: hasBody)
        case .body, .end:
            self.state.requestBodyArrived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind == .informational:
            if head.status == .continue { self.state.continueSent() }
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .head(var head):
            if self.state.finalResponseHead() { head.headerFields[.connection] = "close" }
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard self.state.finalResponseEnd() else {
                context.write(data, promise: promise)
                return
            }
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
