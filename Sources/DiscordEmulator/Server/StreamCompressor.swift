import CZlib

/// The sending side of the gateway's `zlib-stream` transport compression: one deflate context for the whole
/// connection, each message ending in a sync flush (`00 00 FF FF`), which is what lets a client tell where a
/// message ends. `package` so DiscordKit's tests check its inflater against this, code it does not share.
package final class StreamCompressor {
    private var stream = z_stream()

    package init() {
        _ = seed_deflateInit(&self.stream, Z_DEFAULT_COMPRESSION)
    }

    deinit { deflateEnd(&self.stream) }

    package func compress(_ bytes: [UInt8]) -> [UInt8] {
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        input.withUnsafeMutableBufferPointer { source in
            self.stream.next_in = source.baseAddress
            self.stream.avail_in = UInt32(source.count)
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
