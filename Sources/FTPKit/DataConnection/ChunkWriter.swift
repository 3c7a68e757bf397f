import NIOCore

/// Writes a data connection's bytes (or a STAT listing's lines on the control connection) straight to its channel
/// and knows when they have left: an FTP transfer ends by closing the connection, and a close drops whatever is
/// still queued in the channel, so the last bytes of a file would be lost (seen with 1 MiB chunks over TLS: curl
/// reported the transfer closed early). A few writes stay in flight for throughput, so a peer that reads slowly
/// paces the writer; ``finish()`` waits for all of them before the caller may close.
struct ChunkWriter {
    /// A write did not go out within the stall timeout: the peer stopped reading.
    struct Stalled: Error {}

    private let channel: any Channel
    private let window: Int
    private let stallTimeout: TimeAmount?
    private var inFlight: [EventLoopFuture<Void>] = []

    /// With a `stallTimeout`, waiting on a write longer than that throws ``Stalled`` (a data connection has its own
    /// watchdog; a STAT reply on the control connection has only this).
    init(channel: any Channel, window: Int = 2, stallTimeout: TimeAmount? = nil) {
        self.channel = channel
        self.window = max(1, window)
        self.stallTimeout = stallTimeout
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        self.inFlight.append(self.channel.writeAndFlush(buffer))
        if self.inFlight.count > self.window { try await self.wait(for: self.inFlight.removeFirst()) }
    }

    /// Returns once every byte written went to the socket (or throws the first write error).
    mutating func finish() async throws {
        while !self.inFlight.isEmpty { try await self.wait(for: self.inFlight.removeFirst()) }
    }

    private func wait(for write: EventLoopFuture<Void>) async throws {
        guard let stallTimeout else { return try await write.get() }
        let loop = write.eventLoop
        let outcome = loop.makePromise(of: Void.self)
        // Whichever comes first completes `outcome`; both run on the write's event loop, so the flag needs no lock.
        let settled = NIOLoopBoundBox.makeBoxSendingValue(false, as: Bool.self, eventLoop: loop)
        let timer = loop.scheduleTask(in: stallTimeout) {
            guard !settled.value else { return }
            settled.value = true
            outcome.fail(Stalled())
        }
        write.whenComplete { result in
            timer.cancel()
            guard !settled.value else { return }
            settled.value = true
            outcome.completeWith(result)
        }
        try await outcome.futureResult.get()
    }
}
