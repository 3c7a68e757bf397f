import Foundation
import NIOCore
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
