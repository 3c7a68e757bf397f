import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TYPE A line-end conversion (RFC 959 §3.1.1.1), streaming: state carries over between chunks so a CRLF split
/// across two reads is handled.
///
/// The bytes between line ends are copied in runs, found with `memchr`: converting byte by byte cost a debug build
/// about half a second per 256 KiB on the event loop (an ABOR waited ten seconds behind it), and a release build
/// several times the cost of the copy.
struct ASCIIConverter {
    enum Direction { case toNetwork, fromNetwork }
    let direction: Direction
    /// toNetwork: the previous byte was CR. fromNetwork: a CR is held back until we see whether LF follows.
    private var pendingCR = false

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    init(_ direction: Direction) { self.direction = direction }

    mutating func convert(_ input: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: input.readableBytes + input.readableBytes / 16 + 2)
        input.withUnsafeReadableBytes { bytes in
            switch self.direction {
            case .toNetwork: self.toNetwork(bytes, into: &out)
            case .fromNetwork: self.fromNetwork(bytes, into: &out)
            }
        }
        return out
    }

    /// LF not preceded by CR becomes CRLF.
    private mutating func toNetwork(_ bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        while let lf = Self.find(Self.lf, in: bytes, from: start) {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<lf]))
            let previousIsCR = lf > 0 ? base.load(fromByteOffset: lf - 1, as: UInt8.self) == Self.cr : self.pendingCR
            if !previousIsCR { out.writeInteger(Self.cr) }
            out.writeInteger(Self.lf)
            start = lf + 1
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        self.pendingCR = bytes[bytes.count - 1] == Self.cr
    }

    /// CRLF becomes LF; a lone CR is kept.
    private mutating func fromNetwork(_ bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        guard !bytes.isEmpty else { return }
        var start = 0
        if self.pendingCR {
            self.pendingCR = false
            if bytes[0] != Self.lf { out.writeInteger(Self.cr) }
        }
        while let cr = Self.find(Self.cr, in: bytes, from: start) {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<cr]))
            start = cr + 1
            if start == bytes.count {
                self.pendingCR = true  // decided by the next chunk's first byte
            } else if bytes[start] != Self.lf {
                out.writeInteger(Self.cr)
            }
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
    }

    /// The offset of the first `byte` at or after `start`.
    private static func find(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, CInt(byte), bytes.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Bytes still held at the end of the stream.
    mutating func finish(allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard self.direction == .fromNetwork, self.pendingCR else { return nil }
        self.pendingCR = false
        var out = allocator.buffer(capacity: 1)
        out.writeInteger(Self.cr)
        return out
    }
}
