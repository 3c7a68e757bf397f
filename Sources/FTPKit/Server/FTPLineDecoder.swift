package import NIOCore

/// One unit read from the control connection.
package enum FTPControlLine: Sendable {
    /// A line without its terminator.
    case line(ByteBuffer)
    /// A line exceeded the limit; its bytes were discarded up to the next line end.
    case tooLong
}

/// Splits the control stream at LF (accepting CRLF and bare LF, as real clients send both) and enforces a maximum
/// line length without buffering the excess. The limit counts the line without its terminator, so a line of
/// `maxLength` bytes passes whether it ends in CRLF or LF, and however the stream was cut.
struct FTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = FTPControlLine

    let maxLength: Int
    private var discarding = false

    init(maxLength: Int) { self.maxLength = maxLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            // One byte more may wait: it can be the CR of a line that is exactly as long as allowed.
            if buffer.readableBytes > self.maxLength + 1
                || (buffer.readableBytes == self.maxLength + 1 && view.last != UInt8(ascii: "\r"))
            {
                // Drop what we have; remember to drop the rest of this line when its end arrives.
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                if !self.discarding {
                    self.discarding = true
                    context.fireChannelRead(Self.wrapInboundOut(.tooLong))
                }
            }
            return .needMoreData
        }
        let length = lf - view.startIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if self.discarding {
            self.discarding = false
            return .continue
        }
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        if line.readableBytes > self.maxLength {
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            return .continue
        }
        context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A final line without terminator is not a command (the client closed mid-line).
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
