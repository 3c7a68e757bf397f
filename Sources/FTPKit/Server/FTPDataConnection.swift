import NIOCore
import NIOPosix
import Synchronization

/// Helpers for the data connection of a transfer.
enum FTPDataConnection {
    typealias DataChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Large reads for throughput; the async channel's watermarks bound how many are buffered.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: 256 * 1024, maximum: 1024 * 1024)

    static func configure(_ channel: any Channel) throws {
        _ = channel.setOption(.recvAllocator, value: receiveAllocator)
    }

    /// Active mode: connect to the client's announced address (already checked against the bounce rules).
    static func connect(group: any EventLoopGroup, to target: FTPHostPort, timeout: Duration) async throws -> DataChannel {
        try await ClientBootstrap(group: group)
            .connectTimeout(.init(timeout))
            .channelOption(.recvAllocator, value: receiveAllocator)
            .channelOption(.socketOption(.tcp_nodelay), value: 0)
            .channelOption(.writeSpin, value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try DataChannel(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// Lets ABOR (or a closing control connection) stop a running transfer from outside its task.
final class TransferControl: Sendable {
    private let state = Mutex<(aborted: Bool, channel: (any Channel)?)>((false, nil))

    var isAborted: Bool { self.state.withLock { $0.aborted } }

    func attach(_ channel: any Channel) {
        let aborted = self.state.withLock { s in
            s.channel = channel
            return s.aborted
        }
        if aborted { channel.close(promise: nil) }
    }

    func abort() {
        let channel = self.state.withLock { s in
            s.aborted = true
            return s.channel
        }
        channel?.close(promise: nil)
    }
}
