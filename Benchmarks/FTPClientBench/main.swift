// Measures FTPKit's client on one transfer, for scripts/bench to compare with curl against the same server.
// usage: ftp-client-bench get|put HOST PORT USER PASSWORD REMOTE [LOCAL]
// Prints the throughput in bytes per second.
import FTPKit
import Foundation

let args = CommandLine.arguments
guard args.count >= 7, let port = Int(args[3]) else {
    FileHandle.standardError.write(Data("usage: ftp-client-bench get|put HOST PORT USER PASSWORD REMOTE [LOCAL]\n".utf8))
    exit(2)
}
let client = try await FTPClient.connect(host: args[2], port: port)
try await client.login(user: args[4], password: args[5])
let start = ContinuousClock.now
var bytes: UInt64 = 0
switch args[1] {
case "get":
    // Discard the data, as `curl -o /dev/null` does.
    bytes = try await discard(args[6], from: client)
case "put":
    bytes = try await client.uploadFile(from: args[7], to: args[6])
default:
    exit(2)
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
try await client.quit()
print(Int(Double(bytes) / seconds))

/// Reads and drops a file. Not on the main actor: a library user's code runs in its own tasks, and hopping to the
/// main thread for every chunk would measure that hop instead of the client.
nonisolated func discard(_ path: String, from client: FTPClient) async throws -> UInt64 {
    try await client.download(path) { stream in
        var n: UInt64 = 0
        for try await chunk in stream { n += UInt64(chunk.readableBytes) }
        return n
    }
}
