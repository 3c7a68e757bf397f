import CZlib

/// The sending side of zlib-stream, for this package's tests of ``ZlibStreamInflater``: each message is deflated and
/// sync-flushed on one shared context. Not public: a client only inflates, and the Discord emulator deflates with
/// its own compressor, so that it shares no code with the client it checks.
package final class ZlibStreamDeflater {
    private var stream = z_stream()

    /// A deflater for one connection.
    package init() {
        _ = seed_deflateInit(&self.stream, Z_DEFAULT_COMPRESSION)
    }

    deinit { deflateEnd(&self.stream) }

    /// `bytes` deflated and sync-flushed (ending in `00 00 FF FF`), as Discord sends each message.
    package func compress(_ bytes: [UInt8]) -> [UInt8] {
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = input.count
        input.withUnsafeMutableBufferPointer { inBuf in
            self.stream.next_in = inBuf.baseAddress
            self.stream.avail_in = UInt32(count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    self.stream.next_out = out.baseAddress
                    self.stream.avail_out = UInt32(out.count)
                    _ = deflate(&self.stream, Z_SYNC_FLUSH)
                    return out.count - Int(self.stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
            } while self.stream.avail_out == 0
        }
        self.stream.next_in = nil
        return output
    }
}
