@testable import FTPKit
import Foundation
import NIOCore
import Synchronization
import Testing
import SeedTestSupport

/// Uploads share one receive-memory budget: few uploads read in large pieces, many in small ones, and an upload's
/// read size changes while it runs as others start and end. Downloads through memory share another.
@Suite struct TransferBufferBudgetTests {
    @Test func theReadSizeIsTheBudgetSharedAmongTheUploads() {
        let budget = 64 * 1024 * 1024
        let cases: [(uploads: Int, size: Int)] = [
            (0, 1 << 20), (1, 1 << 20), (8, 1 << 20), (9, 512 << 10), (16, 512 << 10), (17, 256 << 10),
            (32, 256 << 10), (64, 128 << 10), (65, 64 << 10), (128, 64 << 10), (129, 32 << 10), (200, 32 << 10),
            (100_000, 32 << 10),
        ]
        let uploads = TransferBufferBudget.uploads(budget: budget)
        for c in cases {
            #expect(uploads.size(for: c.uploads) == c.size, "\(c.uploads) uploads")
        }
        // What all uploads may hold together stays near the budget until every upload is down to the smallest read.
        for count in 1...256 {
            let size = uploads.size(for: count)
            #expect(size * uploads.buffersPerTransfer * count <= budget, "\(count) uploads")
        }
    }

    /// Downloads through memory never go below 64 KiB pieces, however many run.
    @Test func downloadsShareTheirOwnBudgetWithALargerFloor() {
        let downloads = TransferBufferBudget.downloads(budget: 64 << 20)
        let cases: [(count: Int, size: Int)] = [(1, 1 << 20), (8, 1 << 20), (16, 512 << 10), (64, 128 << 10),
                                                (128, 64 << 10), (200, 64 << 10), (10_000, 64 << 10)]
        for c in cases {
            #expect(downloads.size(for: c.count) == c.size, "\(c.count) downloads")
        }
    }

    @Test func countsAnUploadWhileItRuns() {
        let budget = TransferBufferBudget.uploads(budget: 8 << 20)
        #expect(budget.currentSize == 1 << 20)
        for _ in 0..<16 { budget.begin() }
        #expect(budget.running == 16)
        #expect(budget.currentSize == 64 << 10)
        for _ in 0..<16 { budget.end() }
        #expect(budget.running == 0)
        #expect(budget.currentSize == 1 << 20)
    }

    /// Thirty uploads of different sizes, in different pieces, starting together: as they start and finish, the
    /// read size of those still running changes under them (1 MiB alone, 256 KiB with thirty). Every file arrives
    /// byte for byte, and the count is back at zero after them.
    @Test func concurrentUploadsArriveIntactWhileTheirReadSizeChanges() async throws {
        try await withServer { server in
            let files = (0..<30).map { i in (name: "f\(i).bin", data: randomData(i * 150_000 + i), piece: 1 << (12 + i % 9)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for file in files {
                    group.addTask {
                        let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port)
                        try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
                        try await client.upload(Chunks(data: file.data, size: file.piece), to: "/" + file.name)
                        try await client.quit()
                    }
                }
                try await group.waitForAll()
            }
            for file in files {
                #expect(server.read(file.name) == file.data, "\(file.name)")
            }
            #expect(server.server.uploadsRunning == 0)
        }
    }

    /// Four FTPS downloads held open at once: each counts while it runs (so its file reads shrink as others start),
    /// every file arrives byte for byte, and the count is back at zero after them. Each client takes its first bytes
    /// and then stops reading until all four have theirs: a 16 MB file cannot fit in what the sockets and the
    /// client buffer, so no download can end before the others start.
    @Test func concurrentFTPSDownloadsCountWhileTheyRunAndArriveIntact() async throws {
        try await withTLSServer { server, cert in
            let files = (0..<4).map { i in (name: "d\(i).bin", data: randomData(16_000_000 + i * 100_003)) }
            for file in files { try server.write(file.name, file.data) }
            let gate = Gate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for file in files {
                    group.addTask {
                        let client = try await FTPClient.connect(
                            host: "127.0.0.1", port: server.port, configuration: FTPSClientTests.settings(cert: cert))
                        try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
                        let received: Data = try await client.download(file.name) { chunks in
                            var data = Data()
                            for try await chunk in chunks {
                                if data.isEmpty {
                                    gate.arrived.add(1, ordering: .relaxed)
                                    try await eventually("every download has its first bytes") {
                                        gate.open.load(ordering: .relaxed)
                                    }
                                }
                                data.append(contentsOf: chunk.readableBytesView)
                            }
                            return data
                        }
                        #expect(received == file.data, "\(file.name)")
                        try await client.quit()
                    }
                }
                try await eventually("four downloads started") { gate.arrived.load(ordering: .relaxed) == 4 }
                #expect(server.server.downloadsThroughMemoryRunning == 4)
                gate.open.store(true, ordering: .relaxed)
                try await group.waitForAll()
            }
            try await eventually("no download counted") { server.server.downloadsThroughMemoryRunning == 0 }
        }
    }

    /// Clients that have their first bytes, and whether they may read on.
    final class Gate: Sendable {
        let arrived = Atomic<Int>(0)
        let open = Atomic<Bool>(false)
    }

    /// An upload whose client goes away mid-transfer stops counting, and leaves nothing behind.
    @Test func anAbandonedUploadStopsCounting() async throws {
        try await withServer { server in
            let client = try await FTPClient.connect(host: "127.0.0.1", port: server.port)
            try await client.login(user: TestFTPServer.user, password: TestFTPServer.password)
            let upload = Task {
                try await client.upload(Endless(), to: "/endless.bin")
            }
            try await eventually("the upload counted") { server.server.uploadsRunning == 1 }
            await client.close()
            upload.cancel()
            _ = await upload.result
            try await eventually("the upload no longer counted") { server.server.uploadsRunning == 0 }
            var left: [String] = []
            do {
                try await eventually("no temporary file left") {
                    left = server.allFiles()
                    return left.isEmpty
                }
            } catch {
                Issue.record("left in the root: \(left)")
                throw error
            }
        }
    }

    /// 64 KiB pieces for as long as they are asked for.
    struct Endless: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        struct AsyncIterator: AsyncIteratorProtocol {
            mutating func next() async throws -> ByteBuffer? {
                try Task.checkCancellation()
                return ByteBuffer(repeating: 0x5A, count: 64 * 1024)
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
    }
}

/// A download's piece over TLS is sized so its records fit the power-of-two buffer NIO allocates for them.
@Suite struct TLSRecordsTests {
    @Test(arguments: [16 * 1024, 64 * 1024, 128 * 1024, 256 * 1024, 512 * 1024, 1024 * 1024])
    func aPiecesRecordsFitItsSize(_ size: Int) {
        let plaintext = TLSRecords.plaintext(fitting: size)
        #expect(TLSRecords.bound(plaintext) <= size)
        #expect(TLSRecords.bound(plaintext + TLSRecords.overhead + 1) > size, "not the most that fits")
        #expect(plaintext > size - size / 200, "no more than 0.5 % given up")
    }
}
