import Foundation
import NIOCore
import NIOPosix
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FilePrefetcherTests {
    private func withFile(_ data: Data, _ body: (CInt) async throws -> Void) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.path + "/f.bin"
        try data.write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        try await body(fd)
    }

    private func drain(_ reader: FilePrefetcher) async throws -> (Data, [Int]) {
        var out = Data()
        var sizes: [Int] = []
        while let chunk = try await reader.read() {
            sizes.append(chunk.readableBytes)
            out.append(contentsOf: chunk.readableBytesView)
        }
        return (out, sizes)
    }

    /// The type of the file system `path` is on, from the longest mount point above it in /proc/self/mountinfo.
    static func fileSystemType(of path: String) -> String? {
        guard let table = procFileText("/proc/self/mountinfo") else { return nil }
        var best: (point: String, type: String)?
        for line in table.split(separator: "\n") {
            // ID parent major:minor root mount-point options [optional...] - type source super-options
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let point = fields[4]
            let under = point == "/" || path == point || path.hasPrefix(point + "/")
            if under, point.count >= (best?.point.count ?? -1) { best = (point, fields[dash + 1]) }
        }
        return best?.type
    }

    @Test(arguments: [1, 2, 4, 9])
    func readsTheRegionInOrder(depth: Int) async throws {
        let data = randomData(10 * 4096 + 123)
        try await self.withFile(data) { fd in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let whole = try FilePrefetcher(descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: depth, loop: loop)
            let (all, sizes) = try await self.drain(whole)
            #expect(all == data)
            #expect(sizes.dropLast().allSatisfy { $0 == 4096 } && sizes.last == 123)
            #expect(try await whole.read() == nil)

            let middle = try FilePrefetcher(descriptor: fd, from: 5000, to: 30_000, chunkSize: 4096, depth: depth, loop: loop)
            #expect(try await self.drain(middle).0 == data[5000..<30_000])

            let empty = try FilePrefetcher(descriptor: fd, from: 100, to: 100, chunkSize: 4096, depth: depth, loop: loop)
            #expect(try await empty.read() == nil)
        }
    }

    /// A file the page cache holds is read inline, without a hop to the thread pool; one evicted from the cache
    /// (a file on disk, written, synced and dropped with `POSIX_FADV_DONTNEED`) comes through the pool, whole.
    @Test func cachedChunksAreReadInlineAndColdOnesByThePool() async throws {
        let data = randomData(48 * 4096 + 17)
        try await self.withFile(data) { fd in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let cached = try FilePrefetcher(descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 2, loop: loop)
            #expect(try await self.drain(cached).0 == data)
            #expect(cached.poolReads == 0 && cached.inlineReads == 49, "\(cached.inlineReads) inline, \(cached.poolReads) by the pool")

            // Dropped from the cache: the first read finds nothing cached and goes to the pool, with reads ahead.
            #expect(fsync(fd) == 0)
            #expect(posix_fadvise(fd, 0, 0, CInt(POSIX_FADV_DONTNEED)) == 0)
            let cold = try FilePrefetcher(descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 2, loop: loop)
            #expect(try await self.drain(cold).0 == data)
            // tmpfs keeps its pages whatever the advice (its files live in the cache): only a disk can be cold.
            let inMemory = ["tmpfs", "ramfs"].contains(Self.fileSystemType(of: FileManager.default.temporaryDirectory.path))
            #expect(inMemory || cold.poolReads > 0, "\(cold.inlineReads) inline, \(cold.poolReads) by the pool")

            // Without inline reads every chunk goes through the pool.
            let pooled = try FilePrefetcher(
                descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 2, readsCachedInline: false,
                loop: loop)
            #expect(try await self.drain(pooled).0 == data)
            #expect(pooled.inlineReads == 0 && pooled.poolReads == 49)
        }
    }

    /// The chunk size may change between reads; the bytes come out the same.
    @Test func theChunkSizeCanChangeBetweenReads() async throws {
        let data = randomData(100_000)
        try await self.withFile(data) { fd in
            let reader = try FilePrefetcher(
                descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 2,
                loop: MultiThreadedEventLoopGroup.singleton.next())
            var out = Data()
            var sizes: [Int] = []
            for size in [4096, 65536, 8192, 16384, 65536] {
                reader.chunkSize = size
                guard let chunk = try await reader.read() else { break }
                sizes.append(chunk.readableBytes)
                out.append(contentsOf: chunk.readableBytesView)
            }
            #expect(sizes == [4096, 65536, 8192, 16384, 100_000 - 4096 - 65536 - 8192 - 16384])
            #expect(out == data)
        }
    }

    /// A file that shrinks while being read ends the region early: the caller sees fewer bytes, not garbage.
    @Test func aShrunkFileEndsEarly() async throws {
        let data = randomData(64 * 4096)
        try await self.withFile(data) { fd in
            let reader = try FilePrefetcher(
                descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 2,
                loop: MultiThreadedEventLoopGroup.singleton.next())
            let first = try #require(try await reader.read())
            #expect(first.readableBytes == 4096)
            #expect(ftruncate(fd, 10_000) == 0)
            var rest = Data(first.readableBytesView)
            while let chunk = try await reader.read() { rest.append(contentsOf: chunk.readableBytesView) }
            #expect(rest.count <= 3 * 4096 && rest.count >= 10_000)
            #expect(rest.prefix(10_000) == data.prefix(10_000))
        }
    }

    /// Dropped with reads in flight, it keeps its own descriptor open until they end, so closing the caller's
    /// descriptor at once is safe.
    @Test func droppedMidwayDoesNotDisturbTheCallersDescriptor() async throws {
        let data = randomData(256 * 1024)
        try await self.withFile(data) { fd in
            for _ in 0..<20 {
                let reader = try FilePrefetcher(
                    descriptor: fd, from: 0, to: UInt64(data.count), chunkSize: 4096, depth: 8,
                    loop: MultiThreadedEventLoopGroup.singleton.next())
                _ = try await reader.read()
            }
            var st = stat()
            #expect(fstat(fd, &st) == 0 && st.st_size == data.count)
        }
    }

    @Test func loopbackPeersSkipSendfileWhenAutomatic() throws {
        let cases: [(String, Bool)] = [
            ("127.0.0.1", true), ("127.9.8.7", true), ("::1", true), ("::ffff:127.0.0.1", true),
            ("10.0.0.1", false), ("128.0.0.1", false), ("::2", false), ("fe80::1", false), ("::ffff:10.0.0.1", false),
        ]
        for (ip, loopback) in cases {
            let address = try SocketAddress(ipAddress: ip, port: 21)
            #expect(address.isLoopback == loopback, "\(ip)")
            #expect(FileSending.automatic.usesSendfile(to: address) == !loopback, "\(ip)")
            #expect(FileSending.sendfile.usesSendfile(to: address))
            #expect(!FileSending.readAndWrite.usesSendfile(to: address))
        }
        #expect(FileSending.automatic.usesSendfile(to: nil))
    }
}
