import Foundation
import NIOCore
import NIOPosix
import SeedTestSupport
import Testing

@testable import FTPKit

/// An upload is committed only while the client holds its control connection. The channel's `isActive` lags
/// behind a FIN its event loop has not read yet; the check asks the kernel's TCP state as well.
@Suite(.tags(.unit), .inTestSet(.unit)) struct ControlConnectionStateTests {
    /// With half-closure allowed the server's channel stays active after the client's FIN, as it does for a
    /// moment on a busy event loop: only the TCP state (CLOSE_WAIT) tells. Linux only (TCP_INFO).
    @Test func aClientsFinIsSeenBeforeTheEventLoopReadsIt() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let (accepted, acceptedChannel) = AsyncStream<any Channel>.makeStream()
        let server = try await ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                acceptedChannel.yield(child)
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.localAddress!.port!).get()
        var iterator = accepted.makeAsyncIterator()
        let serverSide = try #require(await iterator.next())
        try await eventually("the connection up") { serverSide.isActive }
        #expect(await FTPTransferRunner.connectionIsOpen(serverSide))

        try await client.close(mode: .output)  // FIN
        try await eventually("the server seeing the FIN") { await !FTPTransferRunner.connectionIsOpen(serverSide) }
        #expect(serverSide.isActive)  // half-closed: the channel alone would still say open

        try? await client.close()
        try await serverSide.close()
        try await server.close()
    }
}
