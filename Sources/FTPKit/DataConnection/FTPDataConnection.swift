import NIOCore

#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import Synchronization

/// Helpers for the data connection of a transfer, shared by the server (FTPTransferRunner) and the client
/// (FTPClient+Transfers): buffer sizes, backpressure, and sendfile with pacing.
enum FTPDataConnection {
    typealias DataChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// The server's data connections: hundreds of uploads can run at once, and what each holds in receive buffers
    /// is multiplied by them. NIO keeps a pool of up to `maxMessagesPerRead` receive buffers per channel and
    /// allocates a fresh one (page faults on first touch) whenever all are still held downstream; NIO's default
    /// buffering ahead of the consumer is 2–10 reads. Here a channel reads at most 4 times per wake-up and buffers 1–2
    /// reads ahead of storage, so its pool covers what it holds; an upload's read size follows the server's
    /// upload budget (``TransferBufferBudget/uploads(budget:)``: it starts small and grows when few uploads run).
    static let serverReceiveAllocator = TransferBufferBudget.receiveAllocator(
        readSize: TransferBufferBudget.uploads().smallest)
    static let serverReadsPerWakeUp: UInt = 4
    static let serverAsyncConfiguration = NIOAsyncChannel<ByteBuffer, ByteBuffer>.Configuration(
        backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2))

    /// Deeper buffering than NIO's default (2–10 reads): a fast sender otherwise stops and starts on every few
    /// reads. With reads of at most 1 MiB this bounds a download's buffered data to 16 MiB.
    static let asyncConfiguration = NIOAsyncChannel<ByteBuffer, ByteBuffer>.Configuration(
        backPressureStrategy: .init(lowWatermark: 4, highWatermark: 16))


    /// A server's data connection and, in FTPS, its TLS handshake (whether it resumed the control session), taken
    /// when the TLS handler was added. Looked up later, the handler may be gone: it leaves the pipeline when the
    /// connection closes, and a fast client can finish its whole upload and close before the transfer looks (seen
    /// in CI: ftpbench's FTPS STOR answered "522 ... no TLS handler" on a busy machine).
    struct Accepted: Sendable {
        let channel: DataChannel
        let tlsHandshake: EventLoopFuture<Bool>?
    }

    /// Active mode: connect to the client's announced address (already checked against the bounce rules).
    static func connect(
        group: any EventLoopGroup, to target: FTPHostPort, timeout: Duration, tls: TLSContext? = nil
    ) async throws -> Accepted {
        try await ClientBootstrap(group: group)
            .connectTimeout(.init(timeout))
            .channelOption(.recvAllocator, value: serverReceiveAllocator)
            .channelOption(.tcpOption(.tcp_nodelay), value: 0)
            .channelOption(.writeSpin, value: 1)
            .channelOption(.maxMessagesPerRead, value: serverReadsPerWakeUp)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // In FTPS the FTP server is the TLS server on data connections in both directions.
                    var handshake: EventLoopFuture<Bool>?
                    if let tls {
                        let handler = try OpenSSLHandler(context: tls, dataConnection: true)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        handshake = handler.handshakeDone
                    }
                    return Accepted(
                        channel: try DataChannel(wrappingChannelSynchronously: channel, configuration: serverAsyncConfiguration),
                        tlsHandshake: handshake)
                }
            }
    }

    /// Zero-copy transfer of a local file: it goes from the page cache to the socket with `sendfile(2)`.
    ///
    /// The file is sent as many small regions rather than one: on loopback and fast links, 64 KiB `sendfile` calls
    /// alternating with the reader keep the data in the CPU cache between the kernel's copy into the socket and the
    /// reader's copy out of it (measured here with curl: one 1 GiB region ran at 2.0-2.6 GB/s, 64 KiB regions with
    /// one write per event-loop turn at 3.2-4.0 GB/s, like pyftpdlib's 64 KiB calls). Regions are queued in
    /// batches, two batches in flight, and each batch's completion moves the progress counter the stall watchdog
    /// reads. Under a rate limit each batch is one slice of the ``BandwidthPacer``, queued when its turn comes.
    static func sendFile(
        _ region: (descriptor: CInt, offset: UInt64, length: UInt64), length: UInt64, channel: any Channel,
        pacer: BandwidthPacer? = nil, progress: @escaping @Sendable (Int) -> Void
    ) async throws {
        guard length > 0 else { return }
        let descriptor = dup(region.descriptor)
        guard descriptor >= 0 else { throw FTPStorageError(.io, "dup failed: \(String(cString: strerror(errno)))") }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        defer { try? handle.close() }
        let chunk: UInt64 = 64 * 1024
        let batch: UInt64 = pacer.map { UInt64($0.slice) } ?? 32 * 1024 * 1024
        let end = region.offset + length
        var next = region.offset
        var inFlight: [EventLoopFuture<Void>] = []
        while next < end || !inFlight.isEmpty {
            if next < end {
                let start = next
                let stop = min(end, start + batch)
                next = stop
                try await pacer?.take(Int(stop - start))
                let done: EventLoopFuture<Void> = try await channel.eventLoop.submit {
                    var offset = start
                    var last: EventLoopFuture<Void>?
                    while offset < stop {
                        let upper = min(stop, offset + chunk)
                        let fileRegion = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(upper))
                        if upper == stop {
                            last = channel.write(IOData.fileRegion(fileRegion))
                        } else {
                            channel.write(IOData.fileRegion(fileRegion), promise: nil)
                        }
                        offset = upper
                    }
                    channel.flush()
                    return last!
                }.get()
                let count = Int(stop - start)
                done.whenSuccess { progress(count) }
                inFlight.append(done)
                if inFlight.count < 2 && next < end { continue }
            }
            try await inFlight.removeFirst().get()
        }
    }

}

/// Lets ABOR (or a closing control connection) stop a transfer from outside its task: while it waits for its
/// data connection (the wait is cancelled: without this a client that sent STOR and vanished kept a passive port
/// and a temporary upload for the whole data timeout) and once data moves (the data channel is closed).
final class TransferControl: Sendable {
    private struct State {
        var aborted = false
        var channel: (any Channel)?
        var stopWaiting: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    var isAborted: Bool { self.state.withLock { $0.aborted } }

    /// While the data connection is awaited: how to stop waiting. Runs at once if the transfer is already aborted.
    func waiting(stop: @escaping @Sendable () -> Void) {
        let aborted = self.state.withLock { s in
            s.stopWaiting = stop
            return s.aborted
        }
        if aborted { stop() }
    }

    func attach(_ channel: any Channel) {
        let aborted = self.state.withLock { s in
            s.channel = channel
            s.stopWaiting = nil
            return s.aborted
        }
        if aborted { channel.close(promise: nil) }
    }

    func abort() {
        let (channel, stop) = self.state.withLock { s in
            s.aborted = true
            defer { s.stopWaiting = nil }
            return (s.channel, s.stopWaiting)
        }
        stop?()
        channel?.close(promise: nil)
    }
}
