import NIOCore

/// Writes a data connection's bytes straight to its channel and knows when they have left: an FTP transfer ends
/// by closing the connection, and a close drops whatever is still queued in the channel, so the last bytes of a
/// file would be lost (seen with 1 MiB chunks over TLS: curl reported the transfer closed early). A few writes
/// stay in flight for throughput; ``finish()`` waits for all of them before the caller may close.
struct ChunkWriter {
    private let channel: any Channel
    private let window: Int
    private var inFlight: [EventLoopFuture<Void>] = []

    init(channel: any Channel, window: Int = 2) {
        self.channel = channel
        self.window = max(1, window)
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        self.inFlight.append(self.channel.writeAndFlush(buffer))
        if self.inFlight.count > self.window { try await self.inFlight.removeFirst().get() }
    }

    /// Returns once every byte written went to the socket (or throws the first write error).
    mutating func finish() async throws {
        while !self.inFlight.isEmpty { try await self.inFlight.removeFirst().get() }
    }
}
