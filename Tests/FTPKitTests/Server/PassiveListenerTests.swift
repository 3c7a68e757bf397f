import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct PassiveListenerTests {
    /// A data connection accepted but never taken by a transfer (the session moved on) is closed when the
    /// listener goes away, instead of trapping on the dropped async channel.
    @Test func anUntakenConnectionIsClosedWhenTheListenerGoes() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        var listener: PassiveListener? = try await PassiveListener.open(
            group: group, host: "127.0.0.1", range: nil, expectedPeer: "127.0.0.1", logger: Logger(label: "test"))
        let port = try #require(listener?.port)
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        try await eventually("the listener holding the connection") { listener?.holdsConnection == true }
        listener = nil
        _ = listener
        try await Self.closes(client, within: .seconds(10))
    }

    /// The same after an explicit close, and a second connection to a port that already has one is refused.
    @Test func closeEndsTheAcceptedConnectionAndExtrasAreRefused() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await PassiveListener.open(
            group: group, host: "127.0.0.1", range: nil, expectedPeer: "127.0.0.1", logger: Logger(label: "test"))
        let first = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: listener.port).get()
        try await eventually("the listener holding the first connection") { listener.holdsConnection }
        let second = try? await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: listener.port).get()
        if let second { try await Self.closes(second, within: .seconds(10)) }
        listener.close()
        try await Self.closes(first, within: .seconds(10))
    }

    /// With a range, the listener binds inside it; when every port of the range is taken it fails with the bind's
    /// error after trying each once, rather than retrying forever.
    @Test func aRangeIsUsedAndAFullOneFails() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let probe = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close().get()
        // The port the kernel just gave and took back, as a range of one: free again (bound with SO_REUSEADDR).
        let held = try await PassiveListener.open(
            group: group, host: "127.0.0.1", range: port...port, expectedPeer: "127.0.0.1", logger: Logger(label: "test"))
        #expect(held.port == port)
        await #expect(throws: (any Error).self) {
            _ = try await PassiveListener.open(
                group: group, host: "127.0.0.1", range: port...port, expectedPeer: "127.0.0.1",
                logger: Logger(label: "test"))
        }
        held.close()
    }

    /// Waits for the server side to close `channel`; closes it and fails after `limit` (futures cannot be
    /// cancelled, so the wait is bounded by a timer on the channel's loop).
    static func closes(_ channel: any Channel, within limit: Duration) async throws {
        let timedOut = try await channel.eventLoop.submit { () -> EventLoopFuture<Bool> in
            let promise = channel.eventLoop.makePromise(of: Bool.self)
            let settled = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let settle: @Sendable (Bool) -> Void = { timedOut in
                guard !settled.value else { return }
                settled.value = true
                promise.succeed(timedOut)
            }
            let timer = channel.eventLoop.scheduleTask(in: .init(limit)) { settle(true) }
            channel.closeFuture.whenComplete { _ in
                timer.cancel()
                settle(false)
            }
            return promise.futureResult
        }.get().get()
        if timedOut {
            channel.close(promise: nil)
            throw TestEnvironmentError(description: "the connection was not closed within \(limit)")
        }
    }
}
