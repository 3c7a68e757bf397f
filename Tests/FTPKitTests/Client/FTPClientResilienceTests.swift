import Foundation
import NIOCore
import SeedTestSupport
import Testing

@testable import FTPKit

/// Transfers that outlive a server crash, and large streams in flat memory.
@Suite(.tags(.slow), .inTestSet(.slow)) struct FTPClientResilienceTests {
    /// Starts the ftpd program (not in-process: the test kills it).
    func startFTPD(root: String, users: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FTPDExecutableTests.binary)
        p.arguments = ["--root", root, "--users", users, "--address", "127.0.0.1", "--port", String(port), "--log-level", "error"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func connect(_ port: Int) async throws -> FTPClient {
        let client = try await eventuallyValue("ftpd accepting connections", timeout: .seconds(30)) {
            try? await FTPClient.connect(host: "127.0.0.1", port: port)
        }
        try await client.login(user: "dan", password: "pw")
        return client
    }

    @Test func downloadResumesAfterTheServerIsKilled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let users = dir.path + "/users.json"
        _ = try await runProcess(FTPDExecutableTests.binary, ["user", "add", "--users", users, "--iterations", "1000", "dan"], stdin: "pw\n")
        try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
        // Large enough that the client's buffers plus the sockets' (tens of MB) cannot hold the rest when the
        // server dies.
        let data = randomData(100_000_000)
        try data.write(to: URL(fileURLWithPath: dir.path + "/root/big.bin"))
        let port = try freeTCPPort()
        var server = try startFTPD(root: dir.path + "/root", users: users, port: port)
        defer { kill(server.processIdentifier, SIGKILL) }

        let local = dir.path + "/local.bin"
        try Data().write(to: URL(fileURLWithPath: local))
        let client = try await connect(port)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: local))
        let serverPID = server.processIdentifier
        do {
            try await client.download("big.bin") { stream in
                var got = 0
                for try await chunk in stream {
                    handle.write(Data(chunk.readableBytesView))
                    got += chunk.readableBytes
                    if got > 1_000_000 { kill(serverPID, SIGKILL) }  // the server dies mid-transfer
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            Issue.record("the download survived a killed server")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
        try handle.close()
        let partial = try FileManager.default.attributesOfItem(atPath: local)[.size] as! Int
        #expect(partial > 0 && partial < data.count)

        server = try startFTPD(root: dir.path + "/root", users: users, port: port)
        let again = try await connect(port)
        let total = try await again.downloadFile("big.bin", to: local, resume: true)
        #expect(total == UInt64(data.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: local)) == data)
        try await again.quit()
    }

    /// A deterministic 1 GiB stream, generated on the fly so the test itself holds almost nothing.
    struct Generated: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let chunks: Int
        let seed: [UInt8]
        struct AsyncIterator: AsyncIteratorProtocol {
            let chunks: Int
            let seed: [UInt8]
            var index = 0
            mutating func next() async -> ByteBuffer? {
                guard index < chunks else { return nil }
                var b = ByteBuffer(bytes: seed)
                b.setInteger(UInt64(index), at: 0)  // every chunk differs
                index += 1
                return b
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks, seed: seed) }

        func digest() -> String {
            let d = Digest(.sha256)
            var b = ByteBuffer(bytes: seed)
            for i in 0..<chunks {
                b.setInteger(UInt64(i), at: 0)
                b.withUnsafeReadableBytes { d.update($0) }
            }
            return d.finalizeHex()
        }
    }

    static func residentBytes() -> Int {
        let status = procFileText("/proc/self/status") ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    @Test func oneGibibyteStreamsInFlatMemory() async throws {
        try await withServer { server in
            let source = Generated(chunks: 1024, seed: Array(randomData(1 << 20)))
            let expected = source.digest()
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            let before = Self.residentBytes()
            let sent = try await client.upload(source, to: "/gib.bin", total: 1 << 30)
            #expect(sent == 1 << 30)
            let (received, hex) = try await client.download("/gib.bin") { stream in
                let digest = Digest(.sha256)
                var n: UInt64 = 0
                for try await chunk in stream {
                    chunk.withUnsafeReadableBytes { digest.update($0) }
                    n += UInt64(chunk.readableBytes)
                }
                return (n, digest.finalizeHex())
            }
            let after = Self.residentBytes()
            #expect(received == 1 << 30)
            #expect(hex == expected)
            #expect(try await client.hash(of: "/gib.bin") == expected)
            // Neither side holds the file: growth stays far below its size.
            #expect(after - before < 200 << 20, "resident memory grew by \((after - before) >> 20) MiB")
            try await client.quit()
        }
    }
}
