import Balancer
import FTPKit
import FileBot
import Foundation
import NIOCore
import Testing
import SeedTestSupport

/// A download whose receiver stops taking the bytes (a web client that hangs up, a destination that refuses a
/// write) is the receiver's doing: the answer says so, and no node is taken for failed. Before, a receiver's error
/// of the kind sockets throw read as the node's data connection failing: the node was logged as failed and its
/// breaker counted a failure, for every client that hung up on a share link at the wrong moment.
@Suite(.tags(.slow), .inTestSet(.slow)) struct FileBotDownloadTests {
    static let ana = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)

    struct DestinationFull: Error {}

    @Test func aReceiverThatStopsIsNotANodeFailing() async throws {
        try await FileBotHarness.with { h in
            let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            _ = try await h.bot.put("big.bin", data, by: Self.ana).get()
            let stops: [any Error] = [ChannelError.ioOnClosedChannel, IOError(errnoCode: EPIPE, reason: "write"), DestinationFull()]
            for stop in stops {
                let result = await h.bot.download("big.bin", for: Self.ana) { _ in throw stop }
                guard case .failure(let refusal) = result else {
                    Issue.record("the download succeeded")
                    continue
                }
                #expect(refusal.reason == .receiverStopped(name: "big.bin"), "\(stop): \(refusal)")
                #expect(refusal.sentence() == "The download of 'big.bin' stopped: its destination stopped taking the bytes.")
            }
            for node in h.cluster.nodes {
                let lastError = await node.lastError
                #expect(lastError == nil, "\(node.name): \(lastError ?? "")")
                #expect(await node.isAvailable(), "\(node.name)")
            }
            // The nodes' sessions are in step: the whole file still comes down.
            #expect(try await h.bot.get("big.bin", by: Self.ana).get() == data)
        }
    }
}
