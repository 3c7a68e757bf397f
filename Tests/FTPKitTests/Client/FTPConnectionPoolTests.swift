import Foundation
import NIOCore
import NIOPosix
import SeedTestSupport
import Synchronization
import Testing

@testable import FTPKit

@Suite(.tags(.slow), .inTestSet(.slow)) struct FTPConnectionPoolTests {
    func pool(_ server: TestFTPServer, max: Int, keepAlive: Duration? = nil, time: ManualTime? = nil) -> FTPConnectionPool {
        var configuration = FTPConnectionPool.Configuration(
            host: "127.0.0.1", port: server.port, user: TestFTPServer.user, password: TestFTPServer.password,
            maxConnections: max, keepAliveInterval: keepAlive)
        if let time { configuration.now = time.now }
        return FTPConnectionPool(configuration: configuration)
    }

    /// A caller waiting for a connection (all in use) can be cancelled: it gets `CancellationError` at once, and the
    /// pool goes on serving the others.
    @Test func aCallerWaitingForAConnectionCanBeCancelled() async throws {
        try await withServer { server in
            let pool = pool(server, max: 1)
            let (holding, held) = AsyncStream.makeStream(of: Void.self)
            let (releases, release) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await pool.withConnection { _ in
                    held.yield()
                    for await _ in releases { break }
                }
            }
            for await _ in holding { break }
            let waiting = Task { try await pool.withConnection { try await $0.raw("PWD").code } }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }
            release.yield()
            try await holder.value
            #expect(try await pool.withConnection { try await $0.raw("PWD").code } == 257)
            await pool.close()
        }
    }

    @Test func manyTransfersShareAFewConnections() async throws {
        try await withServer { server in
            let pool = pool(server, max: 3)
            let logins = Task {
                var n = 0
                for await e in server.server.events {
                    if case .loggedIn = e { n += 1 }
                    if case .loggedOut = e { break }
                }
                return n
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        let data = randomData(200_000 + i)
                        _ = try await pool.withConnection { client in
                            try await client.upload(Chunks(data: data, size: 65536), to: "/f\(i)")
                        }
                        let back = try await pool.withConnection { client in
                            try await client.download("/f\(i)") { stream in
                                var d = Data()
                                for try await chunk in stream { d.append(contentsOf: chunk.readableBytesView) }
                                return d
                            }
                        }
                        #expect(back == data)
                    }
                }
                try await group.waitForAll()
            }
            #expect(await pool.openConnections <= 3)
            await pool.close()
            #expect(await logins.value <= 3)
            #expect(server.allFiles().count == 12)
        }
    }

    @Test func brokenConnectionsAreReplaced() async throws {
        try await withServer { server in
            let time = ManualTime()
            let pool = pool(server, max: 1, time: time)
            try await pool.withConnection { try await $0.noop() }
            // The server drops the pooled session. Dropped on purpose rather than by an idle timeout: on a busy
            // machine a timeout could also catch the replacement before it is used.
            server.server.closeSessions(reason: "the test drops the pooled session")
            try await eventually("the server closing the session", timeout: .seconds(60)) { server.server.sessionCount == 0 }
            // Idle for over a second, so the pool checks the connection before handing it out (a connection used
            // in the last second is handed out unchecked, and the server's close may not have reached it yet).
            time.advance(by: .seconds(2))
            try await pool.withConnection { try await $0.noop() }  // a new connection, transparently
            #expect(await pool.openConnections == 1)
            await pool.close()
        }
    }

    /// Keep-alive NOOPs an idle connection (each NOOP is activity that restarts the server's idle timeout: see
    /// FTPSessionStateMachineTests.idleTimeoutFollowsTheInjectedClock) and drops one unused past the pool's idle
    /// timeout. The test moves the pool's time, so nothing waits for it.
    @Test func keepAlivePingsIdleConnectionsAndDropsStaleOnes() async throws {
        try await withServer { server in
            let time = ManualTime()
            let pool = pool(server, max: 1, time: time)  // no keep-alive loop: the test pings and moves the clock
            try await pool.withConnection { try await $0.noop() }
            time.advance(by: .seconds(60))
            await pool.pingIdle()  // idle for a minute: pinged and kept
            #expect(await pool.idleConnections == 1)
            #expect(server.server.sessionCount == 1)
            try await pool.withConnection { try await $0.noop() }  // the same connection, still logged in
            #expect(await pool.openConnections == 1)

            time.advance(by: .seconds(601))
            await pool.pingIdle()  // unused past the idle timeout: closed with QUIT
            #expect(await pool.openConnections == 0)
            try await eventually("the server seeing the QUIT", timeout: .seconds(60)) { server.server.sessionCount == 0 }
            try await pool.withConnection { try await $0.noop() }  // a fresh one on demand
            await pool.close()
        }
    }
}

/// A pooled connection the server closed a moment ago, before the client could see it: the next caller's
/// command finds it lost, or reads the 421 the server sent as it shut down. An idempotent caller is served on a
/// new connection; any other caller gets the error (its body may have had effects). The server is a scripted one
/// so the moment is not left to timing: its first connection ends at its first NOOP, without a reply (a killed
/// server) or with a 421 (one shutting down).
@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPConnectionPoolStaleConnectionTests {
    @Test(arguments: [true, false], [ScriptedFTPServer.Ending.vanish, .reply421])
    func aConnectionClosedUnderThePoolIsRetriedOnlyWhenIdempotent(idempotent: Bool, ending: ScriptedFTPServer.Ending) async throws {
        let server = try await ScriptedFTPServer.start(firstConnectionEndsAtNOOP: ending)
        var configuration = FTPConnectionPool.Configuration(
            host: "127.0.0.1", port: server.port, user: "u", password: "p", maxConnections: 1, keepAliveInterval: nil)
        let time = ManualTime()
        configuration.now = time.now  // the clock stands still: the idle connection is handed out unchecked
        let pool = FTPConnectionPool(configuration: configuration)
        try await pool.withConnection { _ in }  // opens the first connection and returns it to the idle list
        if idempotent {
            let reply = try await pool.withConnection(idempotent: true) { try await $0.raw("NOOP").code }
            #expect(reply == 200)
            #expect(server.connections == 2)
        } else {
            await #expect(throws: FTPClientError.self) {
                _ = try await pool.withConnection { try await $0.raw("NOOP").code }
            }
            #expect(server.connections == 1)
            #expect(try await pool.withConnection { try await $0.raw("NOOP").code } == 200)  // the pool goes on
        }
        await pool.close()
        try await server.close()
    }
}

/// Just enough FTP for a pool's login: a greeting, 331/230 for USER/PASS, 200 for TYPE and NOOP, 221 for QUIT, 502 for
/// anything else. Its first connection ends at its first NOOP.
final class ScriptedFTPServer: Sendable {
    enum Ending: Sendable { case vanish, reply421 }

    private let channel: any Channel
    private let accepted: Accepted
    var port: Int { self.channel.localAddress!.port! }
    var connections: Int { self.accepted.count.withLock { $0 } }

    private init(channel: any Channel, accepted: Accepted) {
        self.channel = channel
        self.accepted = accepted
    }

    static func start(firstConnectionEndsAtNOOP ending: Ending) async throws -> ScriptedFTPServer {
        let accepted = Accepted()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                let number = accepted.count.withLock { $0 += 1; return $0 }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(endsAtNOOP: number == 1 ? ending : nil))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedFTPServer(channel: channel, accepted: accepted)
    }

    func close() async throws { try await self.channel.close() }

    private final class Accepted: Sendable {
        let count = Mutex(0)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let endsAtNOOP: Ending?
        var pending = ""
        init(endsAtNOOP: Ending?) { self.endsAtNOOP = endsAtNOOP }

        func channelActive(context: ChannelHandlerContext) { self.reply("220 scripted", context: context) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = self.unwrapInboundIn(data)
            self.pending += buffer.readString(length: buffer.readableBytes) ?? ""
            while let end = self.pending.range(of: "\r\n") {
                let line = String(self.pending[..<end.lowerBound])
                self.pending.removeSubrange(..<end.upperBound)
                switch line.split(separator: " ").first.map({ $0.uppercased() }) ?? "" {
                case "USER": self.reply("331 password please", context: context)
                case "PASS": self.reply("230 logged in", context: context)
                case "TYPE": self.reply("200 binary", context: context)
                case "NOOP" where self.endsAtNOOP != nil:
                    if self.endsAtNOOP == .reply421 { self.reply("421 shutting down", context: context) }
                    context.close(promise: nil)
                    return
                case "NOOP": self.reply("200 ok", context: context)
                case "QUIT":
                    self.reply("221 bye", context: context)
                    context.close(promise: nil)
                    return
                default: self.reply("502 not here", context: context)
                }
            }
        }

        func reply(_ line: String, context: ChannelHandlerContext) {
            context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: line + "\r\n")), promise: nil)
        }
    }
}
