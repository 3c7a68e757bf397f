import Balancer
import FileBot
import Foundation
import SeedTestSupport
import Testing

/// A 1 GiB file up through an upload link and down through a share link: streamed both ways, so this process's
/// resident memory (which holds the nodes too) stays flat — nothing near the file's size is ever held.
@Suite(.tags(.interop), .inTestSet(.interop), .serialized) struct WebMemoryTests {
    static func residentBytes() -> UInt64 {
        let status = procFileText("/proc/self/status") ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (UInt64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// The highest resident size seen while `body` runs.
    static func peakResident<T: Sendable>(during body: () async throws -> T) async throws -> (T, UInt64) {
        try await sampling({ Self.residentBytes() }, during: body)
    }

    @Test func aGigabyteThroughLinksInFlatMemory() async throws {
        let w = try await WebHarness.start(settings: FileBotSettings(maxFileSize: 2 << 30), replicas: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            // 1 GiB that is not all zeros: a 1 MiB random block repeated.
            let source = dir.appendingPathComponent("big.bin").path
            let block = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) })
            _ = FileManager.default.createFile(atPath: source, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: source))
            for _ in 0..<1024 { try handle.write(contentsOf: block) }
            try handle.close()

            let caller = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)
            let before = Self.residentBytes()
            let page = w.url(await w.links.uploadLink(for: caller))
            let (put, upPeak) = try await Self.peakResident {
                try await Command.run(["curl", "-sS", "-w", "%{http_code}", "-T", source, page + "/big.bin"])
            }
            #expect(put.text.hasSuffix("201"), "\(put.text) \(put.stderr)")
            let link = w.url(try await w.links.share("big.bin", for: caller).get())
            let copy = dir.appendingPathComponent("copy.bin").path
            let (got, downPeak) = try await Self.peakResident { try await Command.run(["curl", "-sS", "-o", copy, link]) }
            #expect(got.status == 0, "\(got.stderr)")
            let sums = try await Command.run(["sha256sum", source, copy])
            let digests = sums.text.split(separator: "\n").map { $0.prefix(64) }
            #expect(digests.count == 2 && digests[0] == digests[1], "\(sums.text)")
            let growth = max(upPeak, downPeak) - min(before, max(upPeak, downPeak))
            #expect(growth < 128 << 20, "resident memory grew by \(growth >> 20) MiB for a 1 GiB file")
        } catch {
            await w.stop()
            throw error
        }
        await w.stop()
    }
}
