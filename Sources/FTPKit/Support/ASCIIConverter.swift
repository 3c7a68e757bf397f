import NIOCore

/// TYPE A line-end conversion (RFC 959 §3.1.1.1), streaming: state carries over between chunks so a CRLF split
/// across two reads is handled.
struct ASCIIConverter {
    enum Direction { case toNetwork, fromNetwork }
    let direction: Direction
    /// toNetwork: the previous byte was CR. fromNetwork: a CR is held back until we see whether LF follows.
    private var pendingCR = false

    init(_ direction: Direction) { self.direction = direction }

    mutating func convert(_ input: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: input.readableBytes + input.readableBytes / 16 + 2)
        switch self.direction {
        case .toNetwork:
            // LF not preceded by CR becomes CRLF.
            for byte in input.readableBytesView {
                if byte == UInt8(ascii: "\n"), !self.pendingCR { out.writeInteger(UInt8(ascii: "\r")) }
                out.writeInteger(byte)
                self.pendingCR = byte == UInt8(ascii: "\r")
            }
        case .fromNetwork:
            // CRLF becomes LF; a lone CR is kept.
            for byte in input.readableBytesView {
                if self.pendingCR {
                    self.pendingCR = false
                    if byte != UInt8(ascii: "\n") { out.writeInteger(UInt8(ascii: "\r")) }
                }
                if byte == UInt8(ascii: "\r") {
                    self.pendingCR = true
                } else {
                    out.writeInteger(byte)
                }
            }
        }
        return out
    }

    /// Bytes still held at the end of the stream.
    mutating func finish(allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard self.direction == .fromNetwork, self.pendingCR else { return nil }
        self.pendingCR = false
        var out = allocator.buffer(capacity: 1)
        out.writeInteger(UInt8(ascii: "\r"))
        return out
    }
}
