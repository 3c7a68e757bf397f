import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Collects one HTTP request at a time and hands it to the emulator; thin, the logic is in the actor.
final class EmulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Above the largest per-file limit (100 MiB at boost tier 3) plus the rest of a request.
    static let maxRequestSize = 110 << 20

    private let emulator: DiscordEmulator
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    /// Body bytes still to read before this request stops being read (a fault).
    private var readBeforeStall: Int?

    init(emulator: DiscordEmulator) { self.emulator = emulator }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
            self.tooLarge = false
            self.readBeforeStall = self.emulator.takeReadStall(
                method: head.method.rawValue, path: Self.split(head.uri).0)
        case .body(let chunk) where (self.readBeforeStall ?? .max) <= chunk.readableBytes:
            // The fault's allowance is used up: nothing more is read, so the client's writes back up until it gives
            // up; the request is never answered.
            self.readBeforeStall = nil
            self.head = nil
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        case .body(var chunk):
            if let left = self.readBeforeStall { self.readBeforeStall = left - chunk.readableBytes }
            if self.body.readableBytes + chunk.readableBytes > Self.maxRequestSize {
                self.tooLarge = true
            } else {
                self.body.writeBuffer(&chunk)
            }
        case .end:
            self.readBeforeStall = nil
            guard let head = self.head else { return }
            self.head = nil
            let channel = context.channel
            let keepAlive = head.isKeepAlive && !self.tooLarge
            if self.tooLarge {
                Self.write(.error(.payloadTooLarge, code: 40005, "Request entity too large"), to: channel, keepAlive: false)
                return
            }
            let (path, query) = Self.split(head.uri)
            let request = EmulatorRequest(
                method: head.method, path: path, query: query, headers: head.headers,
                body: Data(self.body.readableBytesView))
            Self.serve(request, by: self.emulator, on: channel, keepAlive: keepAlive)
        }
    }

    private static func serve(
        _ request: EmulatorRequest, by emulator: DiscordEmulator, on channel: any Channel, keepAlive: Bool
    ) {
        Task {
            let response = await emulator.handleHTTP(request)
            Self.write(response, to: channel, keepAlive: keepAlive)
        }
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        let pieces = uri.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count == 2 ? String(kv[1]) : ""
            }
        }
        return (pieces.first.map(String.init) ?? "/", query)
    }

    static func write(_ response: EmulatorResponse, to channel: any Channel, keepAlive: Bool) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        // Discord's API answers through Google's front end; Cloudflare's ban page does not (clients tell them apart
        // by this header).
        if headers.contains(name: "X-No-Via") {
            headers.remove(name: "X-No-Via")
        } else {
            headers.replaceOrAdd(name: "Via", value: "1.1 google")
        }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if let stall = response.stallAfterBytes {
            // The head and the first bytes, then silence; the connection stays open until the client gives up.
            let part = ByteBuffer(bytes: response.body.prefix(max(0, stall)))
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(part)), promise: nil)
            return
        }
        if let rate = response.bytesPerSecond, rate > 0 {
            Task {
                // 10 slices a second, each awaited, so the client sees a slow but steady body.
                let slice = max(1, rate / 10)
                let body = Data(response.body)
                var offset = 0
                while offset < body.count {
                    let end = min(offset + slice, body.count)
                    let part = ByteBuffer(bytes: body[offset..<end])
                    do {
                        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(part)))
                    } catch { return }
                    offset = end
                    try? await Task.sleep(for: .milliseconds(100))
                }
                try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if !keepAlive { try? await channel.close() }
            }
            return
        }
        if !response.body.isEmpty {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        }
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}

/// The gateway side of one WebSocket: text frames go to the emulator in order, through a stream.
final class EmulatorGatewayHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<String>.Continuation
    private var fragments = ByteBuffer()

    init(continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            var payload = frame.unmaskedData
            self.fragments.writeBuffer(&payload)
            if frame.fin {
                self.continuation.yield(String(buffer: self.fragments))
                self.fragments.clear()
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            var reply = context.channel.allocator.buffer(capacity: 2)
            reply.write(webSocketErrorCode: code)
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
            self.continuation.finish()
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.continuation.finish()
        context.fireChannelInactive()
    }
}
