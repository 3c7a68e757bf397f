import CZlib

/// Discord's `compress=zlib-stream`: one zlib context for the whole connection; a message is complete when the
/// received bytes end with `00 00 FF FF` (a sync flush). Frames are buffered until then.
public final class ZlibStreamInflater {
    /// Why a message could not be inflated.
    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case corrupt(String)
        case tooLarge(limit: Int)
        public var description: String {
            switch self {
            case .corrupt(let why): "the gateway sent corrupt compressed data: \(why)"
            case .tooLarge(let limit): "a gateway message inflates to more than \(limit) bytes"
            }
        }
    }

    private var stream = z_stream()
    private var pending: [UInt8] = []
    /// Inflate's output window, reused by every message (not a fresh zeroed 64 KiB per message).
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private let maxMessageSize: Int

    /// An inflater for one connection; messages inflating past `maxMessageSize` bytes are refused.
    public init(maxMessageSize: Int = 64 << 20) throws(Error) {
        self.maxMessageSize = maxMessageSize
        guard seed_inflateInit(&self.stream) == Z_OK else { throw .corrupt("inflateInit failed") }
    }

    deinit { inflateEnd(&self.stream) }

    /// Adds one frame; returns the inflated message once its last frame arrived.
    public func feed(_ bytes: some Collection<UInt8>) throws(Error) -> [UInt8]? {
        self.pending.append(contentsOf: bytes)
        guard self.pending.count >= 4, self.pending.suffix(4).elementsEqual([0x00, 0x00, 0xFF, 0xFF]) else {
            return nil
        }
        defer { self.pending.removeAll(keepingCapacity: true) }
        var output: [UInt8] = []
        let count = self.pending.count
        let status: Int32 = self.pending.withUnsafeMutableBufferPointer { input in
            self.stream.next_in = input.baseAddress
            self.stream.avail_in = UInt32(count)
            while true {
                let (ret, produced) = self.chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    self.stream.next_out = out.baseAddress
                    self.stream.avail_out = UInt32(out.count)
                    let ret = inflate(&self.stream, Z_SYNC_FLUSH)
                    return (ret, out.count - Int(self.stream.avail_out))
                }
                output.append(contentsOf: self.chunk[0..<produced])
                if output.count > self.maxMessageSize { return Z_MEM_ERROR }
                if ret == Z_BUF_ERROR && self.stream.avail_in == 0 { return Z_OK }
                if ret != Z_OK && ret != Z_STREAM_END { return ret }
                if self.stream.avail_in == 0 && self.stream.avail_out != 0 { return Z_OK }
            }
        }
        self.stream.next_in = nil
        if status == Z_MEM_ERROR { throw .tooLarge(limit: self.maxMessageSize) }
        guard status == Z_OK else {
            throw .corrupt(self.stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
        }
        return output
    }
}
