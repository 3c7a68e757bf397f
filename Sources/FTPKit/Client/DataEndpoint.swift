import NIOCore

/// A data connection that is connected (passive) or will be accepted (active).
enum DataEndpoint {
    case connected(FTPClient.DataChannel)
    case listening(PassiveListener)

    func channel(timeout: Duration) async throws -> FTPClient.DataChannel {
        switch self {
        case .connected(let c): return c
        case .listening(let l): return try await l.accept(timeout: timeout).channel
        }
    }

    /// Discards the connection. A wrapped async channel must be closed through `executeThenClose`.
    func close() async {
        switch self {
        case .connected(let c): try? await c.executeThenClose { _, _ in }
        case .listening(let l): l.close()
        }
    }
}
