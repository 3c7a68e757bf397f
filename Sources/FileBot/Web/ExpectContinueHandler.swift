import NIOCore
import NIOHTTP1

/// Carries out ``ExpectContinueState``: sends an application's `100 Continue` only while an expectation is in force
/// (never to HTTP/1.0 clients), and closes the connection after a response given while the client still holds back
/// a body it announced, or to a request that did not ask to keep the connection (Hummingbird keeps HTTP/1.0
/// connections open, and a client reading to the end would wait forever). Sits in Hummingbird's HTTP/1 pipeline between NIO's HTTP/1 codec and the conversion to
/// HTTP types, so it sees each request's version.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var state = ExpectContinueState()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            let expectsContinue = head.headers["expect"].contains { $0.lowercased() == "100-continue" }
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            let hasBody = head.headers.contains(name: "transfer-encoding") || (length ?? 0) > 0
            self.state.requestHead(
                expectsContinue: expectsContinue,
                http11: head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1),
                hasBody: hasBody, keepAlive: head.isKeepAlive)
        case .body, .end:
            self.state.requestBodyArrived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status == .continue:
            guard self.state.continueRequested() else {
                promise?.succeed()
                return
            }
            context.write(data, promise: promise)
        case .head(let head) where head.status.code < 200:
            context.write(data, promise: promise)
        case .head(var head):
            if self.state.finalResponseHead() { head.headers.replaceOrAdd(name: "connection", value: "close") }
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
