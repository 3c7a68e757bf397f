import Foundation
import NIOCore
import Testing
import SeedTestSupport

@testable import FTPKit

/// The client's control connection turns Nagle's algorithm off at the TCP level, as its replies-and-commands
/// exchange needs. `ChannelOptions.socketOption(.tcp_nodelay)` looks the same but sets option 1 at `SOL_SOCKET`,
/// which is `SO_DEBUG`: every `tcp_nodelay` in FTPKit did that until 2026-12-04 (seen with `strace`).
@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPClientSocketOptionsTests {
    @Test func theControlConnectionHasNoDelayAndNoSocketDebugging() async throws {
        try await withServer { server in
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port)
            let channel = await client.channel
            #expect(try await channel.getOption(.tcpOption(.tcp_nodelay)).get() == 1)
            #expect(try await channel.getOption(.socketOption(.init(rawValue: SO_DEBUG))).get() == 0)
            try await client.quit()
        }
    }
}
