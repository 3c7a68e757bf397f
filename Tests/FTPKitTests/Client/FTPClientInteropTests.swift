import Foundation
import NIOCore
import Synchronization
import Testing
import SeedTestSupport

@testable import FTPKit

/// A server the client is tested against: ours, or one nobody here wrote.
struct ClientTarget: Sendable, CustomStringConvertible {
    enum Kind: String, CaseIterable, Sendable { case ftpd, pyftpdlib, vsftpd }
    let kind: Kind
    let port: Int
    let user: String
    let password: String
    /// Where the tests may write, remote side.
    let dir: String
    /// The same directory on disk.
    let disk: URL
    var description: String { self.kind.rawValue }

    func path(_ name: String) -> String { self.dir == "/" ? "/" + name : self.dir + "/" + name }

    func connect(_ configure: (inout FTPClientConfiguration) -> Void = { _ in }) async throws -> FTPClient {
        var config = FTPClientConfiguration()
        config.replyTimeout = .seconds(20)
        configure(&config)
        let client = try await FTPClient.connect(host: "127.0.0.1", port: self.port, configuration: config)
        try await client.login(user: self.user, password: self.password)
        return client
    }
}

func withTarget(_ kind: ClientTarget.Kind, _ body: (ClientTarget) async throws -> Void) async throws {
    switch kind {
    case .ftpd:
        try await withServer { server in
            try await body(ClientTarget(kind: kind, port: server.port, user: TestFTPServer.user, password: TestFTPServer.password, dir: "/", disk: server.root))
        }
    case .pyftpdlib, .vsftpd:
        let peer = try await PeerServer.start(kind == .pyftpdlib ? .pyftpdlib : .vsftpd)
        defer { peer.stop() }
        try await body(ClientTarget(kind: kind, port: peer.port, user: peer.user, password: peer.password, dir: peer.workDirectory, disk: peer.root))
    }
}

/// Chunks of a buffer as an async sequence, for streaming uploads.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let data: Data
    let size: Int
    struct AsyncIterator: AsyncIteratorProtocol {
        let data: Data
        let size: Int
        var offset = 0
        mutating func next() async -> ByteBuffer? {
            guard offset < data.count else { return nil }
            let end = Swift.min(data.count, offset + size)
            defer { offset = end }
            return ByteBuffer(bytes: data[offset..<end])
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(data: data, size: size) }
}

@Suite(.tags(.interop), .inTestSet(.interop)) struct FTPClientInteropTests {
    @Test(arguments: ClientTarget.Kind.allCases)
    func everyOperation(_ kind: ClientTarget.Kind) async throws {
        try await withTarget(kind) { t in
            for mode in [FTPClientConfiguration.DataMode.passive, .active] {
                let client = try await t.connect { $0.dataMode = mode }
                let sub = t.path("sub-\(mode)")
                let made = try await client.makeDirectory(sub)
                #expect(made.hasSuffix("sub-\(mode)"))
                try await client.changeDirectory(sub)
                #expect(try await client.currentDirectory() == sub)
                try await client.changeDirectory(t.dir)

                let data = randomData(1_234_567)
                let progress = ProgressLog()
                let sent = try await client.upload(Chunks(data: data, size: 100_000), to: sub + "/a.bin", total: UInt64(data.count), progress: progress.record)
                #expect(sent == UInt64(data.count))
                #expect(progress.last?.bytes == UInt64(data.count))
                #expect(try await client.size(of: sub + "/a.bin") == UInt64(data.count))
                let modified = try await client.modificationDate(of: sub + "/a.bin")
                #expect(abs(modified.timeIntervalSinceNow) < 3600)

                var received = Data()
                try await client.download(sub + "/a.bin") { stream in
                    for try await chunk in stream { received.append(contentsOf: chunk.readableBytesView) }
                }
                #expect(received == data)

                try await client.upload(Chunks(data: Data("tail".utf8), size: 10), to: sub + "/a.bin", mode: .append)
                #expect(try await client.size(of: sub + "/a.bin") == UInt64(data.count + 4))

                let entries = try await client.list(sub)
                let a = try #require(entries.first { $0.name == "a.bin" }, "\(entries)")
                #expect(a.kind == .file && a.size == UInt64(data.count + 4))
                #expect(try await client.names(sub).map { ($0 as NSString).lastPathComponent } == ["a.bin"])

                try await client.rename(sub + "/a.bin", to: sub + "/b c.bin")
                #expect(try await client.list(sub).map(\.name) == ["b c.bin"])
                try await client.delete(sub + "/b c.bin")
                try await client.removeDirectory(sub)
                #expect(!(try await client.list(t.dir).contains { $0.name == "sub-\(mode)" }))

                // Errors carry the reply and the command.
                do {
                    _ = try await client.size(of: t.path("missing"))
                    Issue.record("SIZE of a missing file succeeded")
                } catch let e as FTPClientError {
                    #expect(e.replyCode == 550 && e.command == "SIZE \(t.path("missing"))" && !e.isTransient, "\(e)")
                }
                try await client.noop()
                try await client.quit()
            }
        }
    }

    /// A path with a line break or a NUL in it never reaches the server: it would end the command there and send
    /// the rest as a command of its own (`DELE a\r\nDELE b` deletes both). Refused before anything is sent, and the
    /// session goes on.
    @Test(arguments: ClientTarget.Kind.allCases)
    func pathsCannotSmuggleCommands(_ kind: ClientTarget.Kind) async throws {
        try await withTarget(kind) { t in
            let client = try await t.connect()
            try await client.upload(Chunks(data: Data("keep".utf8), size: 10), to: t.path("kept.txt"))
            for path in [t.path("x\r\nDELE ") + t.path("kept.txt"), t.path("x\nDELE kept.txt"), t.path("x\rDELE kept.txt"),
                         t.path("kept.txt\0.bak")] {
                do {
                    try await client.delete(path)
                    Issue.record("\(path.debugDescription) was sent")
                } catch let e as FTPClientError {
                    #expect(e.code == .invalidState && e.replyCode == nil, "\(e)")
                }
                await #expect(throws: FTPClientError.self) { try await client.rename(path, to: t.path("moved.txt")) }
            }
            #expect(try await client.size(of: t.path("kept.txt")) == 4)
            try await client.noop()
            try await client.quit()
        }
    }

    @Test(arguments: ClientTarget.Kind.allCases)
    func filesAndResume(_ kind: ClientTarget.Kind) async throws {
        try await withTarget(kind) { t in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(3_000_000)
            let src = local.path + "/src.bin"
            try data.write(to: URL(fileURLWithPath: src))
            let client = try await t.connect()

            #expect(try await client.uploadFile(from: src, to: t.path("f.bin")) == 3_000_000)
            #expect(try Data(contentsOf: t.disk.appendingPathComponent("f.bin")) == data)
            #expect(try await client.downloadFile(t.path("f.bin"), to: local.path + "/out.bin") == 3_000_000)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local.path + "/out.bin")) == data)
            // A local name at the file system's 255-byte limit: the partial file beside it must fit too.
            let longest = local.path + "/" + String(repeating: "ü", count: 125) + ".bin"
            #expect(try await client.downloadFile(t.path("f.bin"), to: longest) == 3_000_000)
            #expect(try Data(contentsOf: URL(fileURLWithPath: longest)) == data)

            // Resume a download: keep the local part, fetch the rest with REST.
            try data.prefix(1_000_000).write(to: URL(fileURLWithPath: local.path + "/part.bin"))
            _ = try await client.downloadFile(t.path("f.bin"), to: local.path + "/part.bin", resume: true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local.path + "/part.bin")) == data)

            // Resume an upload: the server holds a prefix; only the rest is sent.
            try await client.upload(Chunks(data: data.prefix(1_500_000), size: 65536), to: t.path("g.bin"))
            #expect(try await client.uploadFile(from: src, to: t.path("g.bin"), resume: true) == 1_500_000)
            #expect(try Data(contentsOf: t.disk.appendingPathComponent("g.bin")) == data)

            // A pipe has no size to send: refused at once (its open would wait for a writer), nothing stored
            // (before, it went up as an empty file, reported as a success).
            let pipe = local.path + "/pipe"
            #expect(mkfifo(pipe, 0o600) == 0)
            // Held open at both ends, so that a client opening it blocking would not hang this test.
            let held = open(pipe, O_RDWR)
            defer { close(held) }
            let refused = await #expect(throws: FTPClientError.self) { _ = try await client.uploadFile(from: pipe, to: t.path("p.bin")) }
            #expect(refused?.code == .local && refused?.message.contains("not a regular file") == true, "\(String(describing: refused))")
            #expect(!FileManager.default.fileExists(atPath: t.disk.appendingPathComponent("p.bin").path))
            // Nor is one downloaded into: the file renamed over it would replace it.
            for resume in [false, true] {
                let into = await #expect(throws: FTPClientError.self) {
                    _ = try await client.downloadFile(t.path("f.bin"), to: pipe, resume: resume)
                }
                #expect(into?.code == .local && into?.message.contains("not a regular file") == true, "\(String(describing: into))")
            }
            var info = stat()
            #expect(lstat(pipe, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the pipe is still a pipe")

            if kind == .ftpd {
                #expect(try await client.hash(of: t.path("f.bin")) == sha256Hex(data))
                #expect(try await client.hash(of: t.path("f.bin"), algorithm: .md5).count == 32)
                // The reply ends with the name: one that starts with a combining mark is still after its own space.
                try await client.upload(Chunks(data: data.prefix(100), size: 100), to: t.path("\u{301}marked.bin"))
                #expect(try await client.hash(of: t.path("\u{301}marked.bin")) == sha256Hex(data.prefix(100)))
                #expect(try await client.availableSpace() > 0)
            } else {
                await #expect(throws: FTPClientError.self) { _ = try await client.availableSpace() }
            }
            try await client.quit()
        }
    }

    /// Both ways of sending a file (sendfile, and reading ahead then writing), with a size that is not a multiple
    /// of the read size, and a resumed upload each way.
    @Test(arguments: ClientTarget.Kind.allCases, [FileSending.sendfile, .readAndWrite])
    func uploadFileEitherWay(_ kind: ClientTarget.Kind, _ sending: FileSending) async throws {
        try await withTarget(kind) { t in
            let local = try TemporaryDirectory()
            defer { local.cleanup() }
            let data = randomData(5 * 256 * 1024 + 12_345)
            let src = local.path + "/src.bin"
            try data.write(to: URL(fileURLWithPath: src))
            let client = try await t.connect { $0.fileSending = sending }
            let seen = Mutex<[UInt64]>([])
            let sent = try await client.uploadFile(from: src, to: t.path("e.bin")) { p in seen.withLock { $0.append(p.bytes) } }
            #expect(sent == UInt64(data.count))
            #expect(try Data(contentsOf: t.disk.appendingPathComponent("e.bin")) == data)
            #expect(seen.withLock { $0.last } == UInt64(data.count))

            try await client.upload(Chunks(data: data.prefix(700_001), size: 65536), to: t.path("r.bin"))
            #expect(try await client.uploadFile(from: src, to: t.path("r.bin"), resume: true) == UInt64(data.count - 700_001))
            #expect(try Data(contentsOf: t.disk.appendingPathComponent("r.bin")) == data)
            try await client.quit()
        }
    }

    @Test(arguments: ClientTarget.Kind.allCases)
    func cancellingADownloadAbortsAndKeepsTheSession(_ kind: ClientTarget.Kind) async throws {
        try await withTarget(kind) { t in
            try randomData(40_000_000).write(to: t.disk.appendingPathComponent("big.bin"))
            let client = try await t.connect()
            let task = Task {
                try await client.download(t.path("big.bin")) { stream in
                    var n = 0
                    for try await chunk in stream {
                        n += chunk.readableBytes
                        try await Task.sleep(for: .milliseconds(20))  // a slow consumer: backpressure holds the server
                    }
                    return n
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { try result.get() }
            // The control connection is still in sync.
            try await client.noop()
            #expect(try await client.size(of: t.path("big.bin")) == 40_000_000)
            try await client.quit()
        }
    }

    /// A download's body that fails with errors of any type — a channel error too, as a relay writing into a socket
    /// of its own gets when its client hangs up — is the caller's failure (`.local`), never the server's data
    /// connection failing (which told the cluster a healthy node had failed); the session stays in step.
    @Test(arguments: ClientTarget.Kind.allCases)
    func aBodysOwnChannelErrorIsTheCallersFailure(_ kind: ClientTarget.Kind) async throws {
        try await withTarget(kind) { t in
            try randomData(4_000_000).write(to: t.disk.appendingPathComponent("big.bin"))
            let client = try await t.connect()
            for error in [ChannelError.ioOnClosedChannel, IOError(errnoCode: EPIPE, reason: "write") as any Error] {
                do {
                    _ = try await client.download(t.path("big.bin")) { stream -> Int in
                        for try await _ in stream { throw error }
                        return 0
                    }
                    Issue.record("the download succeeded")
                } catch let error as FTPClientError {
                    #expect(error.code == .local, "\(error)")
                } catch {
                    Issue.record("not an FTPClientError: \(error)")
                }
                #expect(try await client.size(of: t.path("big.bin")) == 4_000_000)
            }
            try await client.quit()
        }
    }
}

extension FTPClientInteropTests {
    /// An upload whose source fails midway, and one cancelled midway, end with an error and a usable session, and
    /// never as a complete upload: the data connection is reset, not closed with the FIN that is FTP's end of file.
    /// ftpd, which stores uploads atomically, then keeps the file it had; the peers (which write in place) at least
    /// never answer 226.
    @Test(arguments: ClientTarget.Kind.allCases)
    func anUploadThatStopsEarlyIsNeverStoredAsWhole(_ kind: ClientTarget.Kind) async throws {
        struct SourceFailed: Error {}
        /// How many pieces a source has handed out, and whether its upload has returned.
        final class Tally: Sendable {
            let pieces = Atomic(0)
            let ended = Atomic(false)
        }
        /// 64 KiB pieces: `count` of them, then the failure, or forever (until cancelled) when `count` is nil.
        struct Pieces: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            let count: Int?
            var tally = Tally()
            struct AsyncIterator: AsyncIteratorProtocol {
                let count: Int?
                let tally: Tally
                var sent = 0
                mutating func next() async throws -> ByteBuffer? {
                    try Task.checkCancellation()
                    if let count, self.sent == count { throw SourceFailed() }
                    self.sent += 1
                    self.tally.pieces.add(1, ordering: .relaxed)
                    return ByteBuffer(repeating: 0x5A, count: 64 * 1024)
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: self.count, tally: self.tally) }
        }
        try await withTarget(kind) { t in
            let original = Data("the file as it was".utf8)
            try original.write(to: t.disk.appendingPathComponent("kept.bin"))
            let client = try await t.connect()

            await #expect(throws: (any Error).self) { try await client.upload(Pieces(count: 40), to: t.path("kept.bin")) }
            try await client.noop()

            let endless = Pieces(count: nil)
            let uploading = Task {
                defer { endless.tally.ended.store(true, ordering: .relaxed) }
                try await client.upload(endless, to: t.path("kept.bin"))
            }
            // Cancelled with bytes under way (or once the server has refused the upload: vsftpd's anonymous user
            // may not replace the file the test wrote).
            try await eventually("the upload under way") {
                endless.tally.pieces.load(ordering: .relaxed) >= 16 || endless.tally.ended.load(ordering: .relaxed)
            }
            uploading.cancel()
            let cancelled = await uploading.result
            #expect(throws: (any Error).self) { try cancelled.get() }
            try await client.noop()

            if kind == .ftpd {
                #expect(try Data(contentsOf: t.disk.appendingPathComponent("kept.bin")) == original)
                try await eventually("no temporary upload left") {
                    !((try? FileManager.default.contentsOfDirectory(atPath: t.disk.path)) ?? []).contains { $0.hasPrefix(".seed-upload-") }
                }
            }
            try await client.quit()
        }
    }
}

final class ProgressLog: Sendable {
    private let values = Mutex<[FTPTransferProgress]>([])
    var last: FTPTransferProgress? { self.values.withLock { $0.last } }
    var record: @Sendable (FTPTransferProgress) -> Void { { p in self.values.withLock { $0.append(p) } } }
}

func sha256Hex(_ data: Data) -> String {
    let digest = Digest(.sha256)
    data.withUnsafeBytes { digest.update($0) }
    return digest.finalizeHex()
}

extension FTPClientInteropTests {
    /// The client's data timeout is for a server gone silent, not for the client's own pauses: a download whose
    /// consumer stops reading (backpressure holds the server) and an upload whose source has nothing to send, each
    /// for three times the client's timeout, go on and arrive whole. The servers wait far longer themselves (ftpd
    /// 20 s in the tests, pyftpdlib and vsftpd 300 s by default).
    @Test(arguments: ClientTarget.Kind.allCases)
    func pausesOfTheClientsOwnAreNotStalls(_ kind: ClientTarget.Kind) async throws {
        /// `before` bytes, a pause, then the rest, in 64 KiB pieces.
        struct Paused: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            let data: Data
            let before: Int
            let pause: Duration
            struct AsyncIterator: AsyncIteratorProtocol {
                let source: Paused
                var offset = 0
                mutating func next() async throws -> ByteBuffer? {
                    guard self.offset < self.source.data.count else { return nil }
                    // The pause is the scenario itself (a source with nothing to send), not a wait for an event.
                    if self.offset == self.source.before { try await Task.sleep(for: self.source.pause) }
                    let end = Swift.min(self.source.data.count, self.offset + 64 * 1024)
                    defer { self.offset = end }
                    return ByteBuffer(bytes: self.source.data[self.offset..<end])
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
        }
        // Short enough to pause past, long enough that a loaded machine's server is never silent that long.
        let timeout = Duration.seconds(2)
        let pause = timeout * 3
        try await withTarget(kind) { t in
            // Larger than what the sockets buffer, so the server really is held while the consumer pauses.
            let file = randomData(24_000_000)
            try file.write(to: t.disk.appendingPathComponent("paused-read.bin"))
            let client = try await t.connect { $0.dataTimeout = timeout }
            let received = try await client.download(t.path("paused-read.bin")) { stream in
                var data = Data()
                for try await chunk in stream {
                    if data.isEmpty { try await Task.sleep(for: pause) }  // a consumer busy elsewhere
                    data.append(contentsOf: chunk.readableBytesView)
                }
                return data
            }
            #expect(received == file)

            let upload = randomData(4_000_000)
            let sent = try await client.upload(Paused(data: upload, before: 1 << 20, pause: pause), to: t.path("paused-write.bin"))
            #expect(sent == UInt64(upload.count))
            #expect(try Data(contentsOf: t.disk.appendingPathComponent("paused-write.bin")) == upload)
            try await client.quit()
        }
    }
}
