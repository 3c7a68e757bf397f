import Foundation
import NIOCore
import Synchronization
import Testing

@testable import FTPKit

@Suite struct FTPConnectionPoolTests {
    func pool(_ server: TestFTPServer, max: Int, keepAlive: Duration? = nil) -> FTPConnectionPool {
        FTPConnectionPool(configuration: .init(
            host: "127.0.0.1", port: server.port, user: TestFTPServer.user, password: TestFTPServer.password,
            maxConnections: max, keepAliveInterval: keepAlive))
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
        // Generous times: the suite runs in parallel on two cores, and a busy machine must not make a fresh
        // connection look idle.
        try await withServer({ $0.idleTimeout = .seconds(6) }) { server in
            let pool = pool(server, max: 1)
            try await pool.withConnection { try await $0.noop() }
            try await Task.sleep(for: .seconds(9))  // the server closes the idle session
            try await pool.withConnection { try await $0.noop() }  // a new connection, transparently
            #expect(await pool.openConnections == 1)
            await pool.close()
        }
    }

    @Test func keepAliveHoldsIdleConnections() async throws {
        try await withServer({ $0.idleTimeout = .seconds(6) }) { server in
            let pool = pool(server, max: 1, keepAlive: .milliseconds(500))
            try await pool.withConnection { try await $0.noop() }
            try await Task.sleep(for: .seconds(9))
            #expect(server.server.sessionCount == 1)
            try await pool.withConnection { try await $0.noop() }
            await pool.close()
        }
    }
}
