import Balancer
import FTPKit
import FTPTestSupport
import Foundation
import Logging
import SeedTestSupport
import NIOCore
import Synchronization
import Testing

/// A storage node for cluster tests: an in-process ftpd over memory (``TestFTPNode``), which can be killed and
/// started again on the same port with the same files.
final class TestNode: Sendable {
    let storage = MemoryStorage()
    let node: TestFTPNode
    private let listingCount = ListingCountingStorage.Counter()

    init(name: String, dataTimeout: Duration? = nil) {
        let served = ListingCountingStorage(self.storage, counter: self.listingCount)
        self.node = TestFTPNode(name: name, user: "cluster", password: "pw", dataTimeout: dataTimeout) { served }
    }

    /// How many directory listings the node has served.
    var listings: Int { self.listingCount.value }

    /// Puts a file straight onto the node, as something other than the cluster would.
    func put(_ name: String, in space: String = "default", bytes: Int) async throws {
        _ = try? await self.storage.makeDirectory(FTPPath("/\(space)"))
        let handle = try await self.storage.openForWriting(FTPPath("/\(space)/\(name)"), mode: .replace)
        try await handle.write(ByteBuffer(bytes: Source.bytes(bytes)))
        try await handle.commit()
    }

    var name: String { self.node.name }
    var port: Int { self.node.port }
    func start() async throws { try await self.node.start() }
    /// Stops at once: sessions and transfers are cut.
    func kill() async { await self.node.kill() }

    var configuration: NodeConfiguration {
        NodeConfiguration(name: self.name, host: "127.0.0.1", port: self.port, user: "cluster", password: "pw")
    }


    /// Whether the node holds `name` in `space`'s directory.
    func has(_ name: String, in space: String = "default") async -> Bool {
        (try? await self.storage.info(at: FTPPath("/\(space)/\(name)"))) != nil
    }
}

func withNodes(_ count: Int, dataTimeout: Duration? = nil, _ body: ([TestNode]) async throws -> Void) async throws {
    let nodes = (0..<count).map { TestNode(name: "node\($0)", dataTimeout: dataTimeout) }
    for n in nodes { try await n.start() }
    do {
        try await body(nodes)
    } catch {
        for n in nodes { await n.kill() }
        throw error
    }
    for n in nodes { await n.kill() }
}

/// A deterministic source of `count` bytes in chunks, optionally slowed down so a test can act mid-transfer.
struct Source: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int
    let delay: Duration?
    struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int
        let delay: Duration?
        var sent = 0
        mutating func next() async throws -> ByteBuffer? {
            guard sent < count else { return nil }
            if let delay { try await Task.sleep(for: delay) }
            let n = Swift.min(64 * 1024, count - sent)
            var b = ByteBuffer()
            b.reserveCapacity(n)
            Source.write(from: sent, count: n, into: &b)
            sent += n
            return b
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count, delay: delay) }

    /// Byte `i` is `i * 31 + 7` modulo 256, so the stream repeats every 256 bytes: written a period at a time, as a
    /// byte-at-a-time loop took most of a minute for the tens of MiB of the multi-host test in a debug build.
    static let period: [UInt8] = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    static func write(from start: Int, count: Int, into buffer: inout ByteBuffer) {
        var at = start
        while at < start + count {
            let phase = at % 256
            let take = Swift.min(256 - phase, start + count - at)
            buffer.writeBytes(period[phase..<(phase + take)])
            at += take
        }
    }

    static func bytes(_ count: Int) -> [UInt8] {
        var b = ByteBuffer()
        b.reserveCapacity(count)
        write(from: 0, count: count, into: &b)
        return Array(b.readableBytesView)
    }
}

final class Collected: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    var value: [UInt8] { self.bytes.withLock { $0 } }
    func append(_ b: ByteBuffer) { self.bytes.withLock { $0.append(contentsOf: b.readableBytesView) } }
}

@Suite(.tags(.interop), .inTestSet(.interop), .serialized) struct ClusterTests {
    @Test func uploadReplicatesDownloadListDelete() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let file = try await cluster.upload("report.pdf", from: Source(count: 300_000, delay: nil), uploader: "ana")
            #expect(file.nodes.count == 2 && file.size == 300_000 && file.sha256?.count == 64)
            var holders = 0
            for n in nodes where await n.has("report.pdf") { holders += 1 }
            #expect(holders == 2)
            let got = Collected()
            try await cluster.download("report.pdf") { got.append($0) }
            #expect(got.value == Source.bytes(300_000))
            let listing = try await cluster.list()
            #expect(listing.unreachableNodes.isEmpty)
            #expect(listing.files.map(\.name) == ["report.pdf"] && listing.files[0].nodes.count == 2)
            await #expect(throws: ClusterError.self) {
                _ = try await cluster.upload("report.pdf", from: Source(count: 10, delay: nil))
            }
            let second = try await cluster.upload("report.pdf", from: Source(count: 10, delay: nil), collision: .keepBoth)
            #expect(second.name == "report (2).pdf")
            // Replacing keeps exactly the new replicas: old copies elsewhere are removed.
            let replaced = try await cluster.upload("report.pdf", from: Source(count: 20, delay: nil), collision: .replace)
            var holdersAfter: [String] = []
            for n in nodes where await n.has("report.pdf") { holdersAfter.append(n.name) }
            #expect(Set(holdersAfter) == Set(replaced.nodes))
            for n in nodes where await n.has("report.pdf") {
                #expect(try await n.storage.info(at: FTPPath("/default/report.pdf")).size == 20)
            }
            try await cluster.delete("report.pdf")
            for n in nodes { #expect(!(await n.has("report.pdf"))) }
            #expect(try await cluster.list().files.map(\.name) == ["report (2).pdf"])
            await cluster.close()
        }
    }

    /// An upload records the content's SHA-256 and CRC-32C; a whole download is checked against the one its cluster
    /// is set to, as the chunks arrive: a replica altered on disk (same size) ends in `checksumMismatch`, while a
    /// range of it, which cannot be checked, is delivered as stored.
    @Test(arguments: DownloadCheck.allCases)
    func aWholeDownloadOfAnAlteredReplicaFailsItsChecksum(check: DownloadCheck) async throws {
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 1, downloadCheck: check)
            let file = try await cluster.upload("data.bin", from: Source(count: 700_000, delay: nil))
            let digest = Digest(.sha256)
            Source.bytes(700_000).withUnsafeBytes { digest.update($0) }
            #expect(file.sha256 == digest.finalizeHex())
            #expect(file.crc32c == CRC32C.checksum(Source.bytes(700_000)))
            var altered = Source.bytes(700_000)
            altered[400_000] ^= 0xFF
            let handle = try await nodes[0].storage.openForWriting(FTPPath("/default/data.bin"), mode: .replace)
            try await handle.write(ByteBuffer(bytes: altered))
            try await handle.commit()

            let error = await #expect(throws: ClusterError.self) { try await cluster.download("data.bin") { _ in } }
            #expect(error?.code == .checksumMismatch, "\(String(describing: error))")
            let range = Collected()
            try await cluster.download("data.bin", in: .default, from: 399_000, length: 2_000) { range.append($0) }
            #expect(range.value == Array(altered[399_000..<401_000]))
            await cluster.close()
        }
    }

    /// A whole download reads to the end of the transfer (no ABOR for a transfer that already ended); a replica
    /// that has grown past its record delivers the recorded bytes, checked, and nothing more. The same client then
    /// serves the next download, so no reply was left unread.
    @Test(arguments: [DownloadCheck.crc32c, .sha256])
    func aReplicaLongerThanItsRecordDeliversTheRecordedBytes(check: DownloadCheck) async throws {
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 1, downloadCheck: check)
            _ = try await cluster.upload("grown.bin", from: Source(count: 600_000, delay: nil))
            _ = try await cluster.upload("other.bin", from: Source(count: 1_000, delay: nil))
            let grown = Source.bytes(600_000) + [UInt8](repeating: 0xAB, count: 900_000)
            let handle = try await nodes[0].storage.openForWriting(FTPPath("/default/grown.bin"), mode: .replace)
            try await handle.write(ByteBuffer(bytes: grown))
            try await handle.commit()

            let whole = Collected()
            let file = try await cluster.download("grown.bin") { whole.append($0) }
            #expect(file.size == 600_000)
            #expect(whole.value == Source.bytes(600_000))
            let other = Collected()
            try await cluster.download("other.bin") { other.append($0) }
            #expect(other.value == Source.bytes(1_000))
            await cluster.close()
        }
    }

    /// Which checksum a download checks, told apart by records with one of the two wrong: `.crc32c` checks the CRC
    /// where the record has one and SHA-256 where it has none (files uploaded before CRCs were recorded);
    /// `.sha256` checks SHA-256 whatever the record holds.
    @Test func aDownloadChecksTheChecksumItsClusterIsSetTo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("catalog.sqlite").path
        try await withNodes(1) { nodes in
            let uploader = try Cluster(nodes: nodes.map(\.configuration), replicas: 1, catalogPath: path)
            for name in ["wrong-crc.bin", "no-crc-wrong-sha.bin", "no-crc.bin"] {
                _ = try await uploader.upload(name, from: Source(count: 300_000, delay: nil))
            }
            await uploader.close()
            let store = try SQLiteCatalogStore(path: path)
            let files = try store.load().files
            var wrongCRC = try #require(files[FileKey(.default, "wrong-crc.bin")])
            wrongCRC.crc32c = try #require(wrongCRC.crc32c) ^ 1
            var wrongSHA = try #require(files[FileKey(.default, "no-crc-wrong-sha.bin")])
            wrongSHA.crc32c = nil
            wrongSHA.sha256 = String(repeating: "0", count: 64)
            var noCRC = try #require(files[FileKey(.default, "no-crc.bin")])
            noCRC.crc32c = nil
            try store.apply([.save(wrongCRC), .save(wrongSHA), .save(noCRC)])
            store.close()

            let expectations: [(DownloadCheck, String, Bool)] = [
                (.crc32c, "wrong-crc.bin", false), (.crc32c, "no-crc-wrong-sha.bin", false), (.crc32c, "no-crc.bin", true),
                (.sha256, "wrong-crc.bin", true), (.sha256, "no-crc-wrong-sha.bin", false), (.sha256, "no-crc.bin", true),
            ]
            for (check, name, passes) in expectations {
                let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 1, catalogPath: path, downloadCheck: check)
                let got = Collected()
                do {
                    try await cluster.download(name) { got.append($0) }
                    #expect(passes, "\(check) \(name) was delivered")
                    #expect(got.value == Source.bytes(300_000))
                } catch let error as ClusterError {
                    #expect(!passes && error.code == .checksumMismatch, "\(check) \(name): \(error)")
                }
                await cluster.close()
            }
        }
    }

    @Test func aNodeDownIsReportedAndDownloadsFailOver() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let file = try await cluster.upload("a.bin", from: Source(count: 2_000_000, delay: nil))
            let holder = nodes.first { $0.name == file.nodes[0] }!
            await holder.kill()
            let listing = try await cluster.list()
            #expect(listing.unreachableNodes == [holder.name])
            #expect(listing.files.first?.name == "a.bin")
            let got = Collected()
            try await cluster.download("a.bin") { got.append($0) }
            #expect(got.value == Source.bytes(2_000_000))
            await cluster.close()
        }
    }

    /// A node that stops answering is shown down by the very next check, although its circuit breaker (which
    /// placement follows) only opens after a few failures; it is shown up again once a check succeeds.
    @Test func statusShowsADeadNodeAtOnce() async throws {
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 1)
            await cluster.refresh()
            #expect(await cluster.status().allSatisfy(\.isUp))
            await nodes[0].kill()
            await cluster.refresh()
            let status = await cluster.status()
            let dead = try #require(status.first { $0.name == nodes[0].name })
            #expect(!dead.isUp)
            #expect(dead.lastError != nil)
            #expect(dead.load.isHealthy, "one failure does not open the breaker yet")
            #expect(status.first { $0.name == nodes[1].name }?.isUp == true)
            try await nodes[0].start()
            await cluster.refresh()
            #expect(await cluster.status().allSatisfy(\.isUp))
            await cluster.close()
        }
    }

    @Test func aNodeKilledMidDownloadResumesOnAnotherReplica() async throws {
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let file = try await cluster.upload("big.bin", from: Source(count: 8_000_000, delay: nil))
            // Both nodes are healthy, so the first replica serves; it dies after 1 MB.
            let serving = nodes.first { $0.name == file.nodes[0] }!
            let got = Collected()
            let killed = Mutex(false)
            try await cluster.download("big.bin") { chunk in
                got.append(chunk)
                if got.value.count > 1_000_000, !killed.withLock({ k in defer { k = true }; return k }) {
                    await serving.kill()
                }
                try await Task.sleep(for: .microseconds(200))
            }
            #expect(killed.withLock { $0 })
            #expect(got.value == Source.bytes(8_000_000))
            await cluster.close()
        }
    }

    @Test func aNodeKilledMidUploadIsReplaced() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), strategy: RoundRobin(), replicas: 2)
            // Round robin with sequence 1 targets node1 and node2; node1 dies while data flows.
            let upload = Task { try await cluster.upload("u.bin", from: Source(count: 1_500_000, delay: .milliseconds(10))) }
            try await Task.sleep(for: .milliseconds(100))
            await nodes[1].kill()
            let file = try await upload.value
            #expect(file.nodes.count == 2 && !file.nodes.contains("node1"), "\(file.nodes)")
            for n in [nodes[0], nodes[2]] { #expect(await n.has("u.bin")) }
            let got = Collected()
            try await cluster.download("u.bin") { got.append($0) }
            #expect(got.value == Source.bytes(1_500_000))
            await cluster.close()
        }
    }

    @Test func deleteWhileANodeIsDownNeverResurrects() async throws {
        try await withNodes(2) { nodes in
            let time = ManualTime()
            let cluster = Cluster(nodes: nodes.map(\.configuration), replicas: 2, now: time.now)
            _ = try await cluster.upload("gone.txt", from: Source(count: 1000, delay: nil))
            await nodes[1].kill()
            try await cluster.delete("gone.txt")
            #expect(try await cluster.list().files.isEmpty)
            try await nodes[1].start()  // back, still holding its copy
            #expect(await nodes[1].has("gone.txt"))
            #expect(try await cluster.list().files.isEmpty, "hidden while the tombstone is pending")
            time.advance(by: .seconds(120))  // past the circuit breaker's longest backoff
            await cluster.refresh()
            #expect(!(await nodes[1].has("gone.txt")))
            await cluster.close()
        }
    }

    /// A delete asks every node to remove its copy, where it listed the space first to find the holders (seconds
    /// per delete in a space of 100,000 files): no node lists anything, a copy the catalog does not record goes
    /// too, a file only on a node (never through the cluster) is deleted, and a name found nowhere is not found.
    @Test func aDeleteAsksEveryNodeAndListsNothing() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let file = try await cluster.upload("a.txt", from: Source(count: 100, delay: nil))
            let bystander = try #require(nodes.first { !file.nodes.contains($0.name) })
            try await bystander.put("a.txt", bytes: 50)  // a copy the catalog does not record
            try await nodes[0].put("only-here.bin", bytes: 10)
            let before = nodes.map(\.listings)
            try await cluster.delete("a.txt")
            for n in nodes { #expect(!(await n.has("a.txt")), "\(n.name)") }
            try await cluster.delete("only-here.bin")
            #expect(!(await nodes[0].has("only-here.bin")))
            let error = await #expect(throws: ClusterError.self) { try await cluster.delete("nowhere.txt") }
            #expect(error?.code == .notFound)
            #expect(nodes.map(\.listings) == before, "a delete listed a node")
            #expect(try await cluster.list().files.isEmpty)
            await cluster.close()
        }
    }

    /// A maintenance round audits a bounded number of spaces, in turn: its listings do not grow with the number of
    /// spaces, and every space's lost replicas come back within as many rounds as the spaces need.
    @Test func maintenanceAuditsSpacesInTurn() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let spaces = (0..<5).map { Space("guild-\($0)")! }
            var holders: [Space: String] = [:]
            _ = try await cluster.upload("f.bin", from: Source(count: 1000, delay: nil))  // the "default" space
            for space in spaces {
                let stored = try await cluster.upload("r.bin", in: space, from: Source(count: 1000, delay: nil))
                holders[space] = stored.nodes[0]
            }
            // Every node has every space's directory, so that auditing a space lists it on each node (a missing
            // directory is answered 550 before any listing).
            for n in nodes { for space in spaces { _ = try? await n.storage.makeDirectory(FTPPath("/\(space.name)")) } }
            for n in nodes { _ = try? await n.storage.makeDirectory(FTPPath("/default")) }
            // Every space loses a replica behind the cluster's back.
            for space in spaces {
                let victim = try #require(nodes.first { $0.name == holders[space] })
                try await victim.storage.remove(FTPPath("/\(space.name)/r.bin"))
            }
            func restored() async -> [Bool] {
                var out: [Bool] = []
                for space in spaces {
                    var count = 0
                    for n in nodes where await n.has("r.bin", in: space.name) { count += 1 }
                    out.append(count == 2)
                }
                return out
            }
            // 6 spaces in name order ("default", then the 5), 2 a round: each round lists 2 spaces on each node, and
            // 3 rounds restore all.
            for round in 1...3 {
                let before = nodes.map(\.listings)
                await cluster.repair(spaces: 2)
                let listed = zip(nodes.map(\.listings), before).map { $0 - $1 }
                #expect(listed == [2, 2, 2], "round \(round)")
                let done = await restored().filter { $0 }.count
                #expect(done == 2 * round - 1, "round \(round)")
            }
            #expect(await restored() == Array(repeating: true, count: 5))
            await cluster.close()
        }
    }

    @Test func deletingAnOlderVersionLeavesTheNewOne() async throws {
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let old = try await cluster.upload("v.txt", from: Source(count: 10, delay: nil), uploader: "ana")
            let new = try await cluster.upload("v.txt", from: Source(count: 20, delay: nil), uploader: "bruno", collision: .replace)
            #expect(old.version != new.version && !new.version.isEmpty)
            await #expect(throws: ClusterError.self) { try await cluster.delete("v.txt", version: old.version) }
            #expect(try await cluster.list().files.map(\.size) == [20])
            try await cluster.delete("v.txt", version: new.version)
            #expect(try await cluster.list().files.isEmpty)
            await cluster.close()
        }
    }

    @Test func repairRestoresLostReplicasAndEventsTellWhatHappened() async throws {
        try await withNodes(3) { nodes in
            let time = ManualTime()
            let cluster = Cluster(nodes: nodes.map(\.configuration), replicas: 2, now: time.now)
            let events = Task {
                var seen: [ClusterEvent] = []
                for await e in cluster.events { seen.append(e) }
                return seen
            }
            let file = try await cluster.upload("r.bin", from: Source(count: 100_000, delay: nil))
            // A file the cluster never saw appears on a node: reported, not touched.
            let h = try await nodes[1].storage.openForWriting(FTPPath("/default/stranger.txt"), mode: .replace)
            try await h.write(ByteBuffer(string: "hi"))
            try await h.commit()
            // A replica disappears behind the cluster's back.
            let victim = nodes.first { $0.name == file.nodes[0] }!
            try await victim.storage.remove(FTPPath("/default/r.bin"))
            await cluster.repair()
            var holders: [String] = []
            for n in nodes where await n.has("r.bin") { holders.append(n.name) }
            #expect(holders.count == 2, "\(holders)")
            // A node goes down and comes back.
            await cluster.refresh()
            await nodes[2].kill()
            await cluster.refresh()
            await cluster.refresh()
            await cluster.refresh()
            try await nodes[2].start()
            time.advance(by: .seconds(120))  // past the circuit breaker's longest backoff
            await cluster.refresh()
            await cluster.close()
            let seen = await events.value
            #expect(seen.contains(.repaired(file: FileKey(.default, "r.bin"), missing: 1, restored: 1)), "\(seen)")
            #expect(seen.contains { if case .nodeDown("node2", _) = $0 { return true } else { return false } }, "\(seen)")
            #expect(seen.contains(.nodeUp("node2")), "\(seen)")
            #expect(seen.contains(.unknownFiles(node: "node1", files: [FileKey(.default, "stranger.txt")])), "\(seen)")
        }
    }

    /// Temporary uploads left on nodes by a process that stopped mid-upload are removed by repair once they are
    /// older than the configured age, and logged as events; a younger one (perhaps another process's upload in
    /// progress) and this cluster's own upload in flight stay, however old they look. pyftpdlib is one node: it
    /// writes in place, so an upload's temporary file is visible there while it is written.
    @Test func repairRemovesAbandonedTemporaryUploads() async throws {
        let peer = try await PyftpdlibNode.start()
        defer { peer.stop() }
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: [nodes[0].configuration, peer.configuration], replicas: 2, abandonedPartAge: 60)
            let events = Task {
                var seen: [ClusterEvent] = []
                for await e in cluster.events { seen.append(e) }
                return seen
            }
            _ = try await cluster.upload("kept.bin", from: Source(count: 1000, delay: nil))
            let space = peer.root + "/default/"
            let longAgo = Date().addingTimeInterval(-7200)
            for (name, date) in [(".old.bin.part-aaaa1111", longAgo), (".young.bin.part-bbbb2222", Date())] {
                try Data("partial".utf8).write(to: URL(fileURLWithPath: space + name))
                try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: space + name)
            }
            // An upload of this cluster in flight (held after its first chunk), whose temporary file looks old.
            let (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
            let slow = Task { try await cluster.upload("slow.bin", from: chunks) }
            feed.yield(ByteBuffer(repeating: 1, count: 1000))
            var inFlight: String?
            try await eventually("the slow upload's temporary file") {
                inFlight = try FileManager.default.contentsOfDirectory(atPath: space).first { $0.hasPrefix(".slow.bin.part-") }
                return inFlight != nil
            }
            let part = try #require(inFlight)
            try FileManager.default.setAttributes([.modificationDate: longAgo], ofItemAtPath: space + part)
            await cluster.repair()
            #expect(FileManager.default.fileExists(atPath: space + part), "repair removed an upload in flight")
            #expect(!FileManager.default.fileExists(atPath: space + ".old.bin.part-aaaa1111"))
            #expect(FileManager.default.fileExists(atPath: space + ".young.bin.part-bbbb2222"))
            #expect(FileManager.default.fileExists(atPath: space + "kept.bin"))
            feed.yield(ByteBuffer(repeating: 2, count: 1000))
            feed.finish()
            let stored = try await slow.value
            #expect(stored.size == 2000)
            #expect(FileManager.default.fileExists(atPath: space + "slow.bin"))
            #expect(!FileManager.default.fileExists(atPath: space + part))
            await cluster.close()
            let seen = await events.value
            #expect(seen.contains(.removedAbandonedUpload(node: "pyftpdlib", file: FileKey(.default, ".old.bin.part-aaaa1111"))), "\(seen)")
        }
    }

    @Test func aThirdPartyServerIsANode() async throws {
        let peer = try await PyftpdlibNode.start()
        defer { peer.stop() }
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: [nodes[0].configuration, peer.configuration], replicas: 2)
            let file = try await cluster.upload("mixed.bin", from: Source(count: 500_000, delay: nil))
            #expect(Set(file.nodes) == ["node0", "pyftpdlib"])
            #expect(FileManager.default.fileExists(atPath: peer.root + "/default/mixed.bin"))
            await nodes[0].kill()
            let got = Collected()
            try await cluster.download("mixed.bin") { got.append($0) }
            #expect(got.value == Source.bytes(500_000))
            // Files a third party put on the node under names the cluster never stores (a backslash, a control
            // character, hidden) are not the cluster's: not listed. A plain one is found and listed.
            for name in ["back\\slash.txt", "bell\u{7}.txt", ".hidden.txt", "found.txt"] {
                try Data("x".utf8).write(to: URL(fileURLWithPath: peer.root + "/default/" + name))
            }
            let listed = try await cluster.list().files.map(\.name)
            #expect(listed.contains("found.txt") && listed.contains("mixed.bin"), "\(listed)")
            #expect(!listed.contains { $0.contains("\\") || $0.contains("\u{7}") || $0.hasPrefix(".") }, "\(listed)")
            await cluster.close()
        }
    }

    /// A name at the file systems' 255-byte limit is stored on every kind of node: the temporary name it is
    /// written under must not outgrow the limit (it did: `.NAME.part-…`, and every node refused it), nor may the
    /// name a kept-both copy gets (`NAME (2).ext`).
    @Test func namesAtTheByteLimitAreStoredAndKeptBoth() async throws {
        let peer = try await PyftpdlibNode.start()
        defer { peer.stop() }
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: [nodes[0].configuration, peer.configuration], replicas: 2)
            let ascii = String(repeating: "n", count: 251) + ".txt"
            let wide = String(repeating: "é", count: 125) + "名.z"  // 250 + 3 + 2 bytes
            let noExtension = String(repeating: "x", count: 255)
            for name in [ascii, wide, noExtension] {
                #expect(name.utf8.count == 255 && FileNames.isValid(name))
                let first = try await cluster.upload(name, from: Source(count: 70_000, delay: nil))
                #expect(first.name == name && Set(first.nodes) == ["node0", "pyftpdlib"])
                let second = try await cluster.upload(name, from: Source(count: 10, delay: nil), collision: .keepBoth)
                #expect(second.name.utf8.count <= 255 && second.name != name && FileNames.isValid(second.name), "\(second.name)")
                #expect(second.name.hasSuffix(" (2)" + (name == noExtension ? "" : String(name.suffix(from: name.lastIndex(of: ".")!)))),
                        "\(second.name)")
                let got = Collected()
                try await cluster.download(name) { got.append($0) }
                #expect(got.value == Source.bytes(70_000))
                #expect(FileManager.default.fileExists(atPath: peer.root + "/default/" + name))
            }
            #expect(try await cluster.list().files.count == 6)
            await cluster.close()
        }
    }

    /// `é` typed precomposed (U+00E9) or as `e` and a combining accent is one name to the catalog, as Swift compares
    /// text; a node (pyftpdlib here, any file system) holds bytes. Every operation asks the nodes for the bytes the
    /// file was stored under: a download or a delete in the other form found no copy (and the delete still dropped
    /// the record, leaving the copies behind), and a replacing upload left the old copy beside the new one.
    @Test func aNameInTheOtherUnicodeFormIsTheSameFile() async throws {
        let peer = try await PyftpdlibNode.start()
        defer { peer.stop() }
        let decomposed = "cafe\u{301}.txt", precomposed = "caf\u{e9}.txt"
        #expect(decomposed == precomposed && !decomposed.unicodeScalars.elementsEqual(precomposed.unicodeScalars))
        func stored() throws -> [[Unicode.Scalar]] {
            try FileManager.default.contentsOfDirectory(atPath: peer.root + "/default").map { Array($0.unicodeScalars) }
        }
        let cluster = try Cluster(nodes: [peer.configuration], replicas: 1)
        _ = try await cluster.upload(decomposed, from: Source(count: 1000, delay: nil))
        #expect(try stored() == [Array(decomposed.unicodeScalars)])

        let got = Collected()
        let file = try await cluster.download(precomposed) { got.append($0) }
        #expect(got.value == Source.bytes(1000) && file.name.unicodeScalars.elementsEqual(decomposed.unicodeScalars))

        let replaced = try await cluster.upload(precomposed, from: Source(count: 10, delay: nil), collision: .replace)
        #expect(replaced.name.unicodeScalars.elementsEqual(decomposed.unicodeScalars))
        #expect(try stored() == [Array(decomposed.unicodeScalars)], "the old copy was left beside the new")
        let again = Collected()
        try await cluster.download(decomposed) { again.append($0) }
        #expect(again.value == Source.bytes(10))

        try await cluster.delete(precomposed)
        #expect(try stored().isEmpty, "the copy outlived its record")
        #expect(try await cluster.list().files.isEmpty)
        await cluster.close()
    }

    @Test func theCatalogSurvivesARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.path + "/catalog.sqlite"
        try await withNodes(2) { nodes in
            var cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: path)
            let file = try await cluster.upload("kept.txt", from: Source(count: 5000, delay: nil), uploader: "ana")
            _ = try await cluster.upload("deleted.txt", from: Source(count: 10, delay: nil))
            await nodes[1].kill()
            try await cluster.delete("deleted.txt")  // node1 still holds a copy: a tombstone
            await cluster.close()

            cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: path)
            let known = await cluster.knownFiles(in: .default)
            #expect(known.map(\.name) == ["kept.txt"])
            #expect(known.first?.sha256 == file.sha256 && known.first?.uploader == "ana")
            try await nodes[1].start()
            #expect(try await cluster.list().files.map(\.name) == ["kept.txt"], "the deleted file stays deleted")
            await cluster.refresh()
            #expect(!(await nodes[1].has("deleted.txt")))
            await cluster.close()

            // A lost catalog is rebuilt from the nodes.
            try FileManager.default.removeItem(atPath: path)
            cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: path)
            try await cluster.rebuildCatalog()
            #expect(await cluster.knownFiles(in: .default).map(\.name) == ["kept.txt"])
            let got = Collected()
            try await cluster.download("kept.txt") { got.append($0) }  // verified against the nodes' HASH
            #expect(got.value == Source.bytes(5000))
            await cluster.close()
        }
    }

    @Test func aCorruptCatalogIsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).sqlite").path
        try Data("this is not a database, just text that is long enough to look like a header".utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { for file in [path, path + ".lock"] { try? FileManager.default.removeItem(atPath: file) } }
        #expect(throws: ClusterError.self) { _ = try Cluster(nodes: [], catalogPath: path) }
    }

    @Test func allNodesDownFailsQuicklyAndClearly() async throws {
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            for n in nodes { await n.kill() }
            let start = ContinuousClock.now
            let error = await #expect(throws: ClusterError.self) {
                _ = try await cluster.upload("x", from: Source(count: 10, delay: nil))
            }
            // Every replica's stream failed, or (once the nodes' circuits are open) no node was tried at all.
            #expect(error?.code == .insufficientReplicas || error?.code == .noNodeAvailable, "\(String(describing: error))")
            #expect(ContinuousClock.now - start < .seconds(10))
            await cluster.close()
        }
    }

    @Test func concurrentUploadsAndDownloads() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), strategy: PowerOfTwoChoices(), replicas: 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let size = 50_000 + i * 1000
                        _ = try await cluster.upload("f\(i)", from: Source(count: size, delay: nil))
                        let got = Collected()
                        try await cluster.download("f\(i)") { got.append($0) }
                        #expect(got.value == Source.bytes(size))
                    }
                }
                try await group.waitForAll()
            }
            let listing = try await cluster.list()
            #expect(listing.files.count == 50 && listing.files.allSatisfy { $0.nodes.count == 2 })
            await cluster.close()
        }
    }
}

/// pyftpdlib (pip) as a cluster node: the cluster works with servers nobody here wrote.
final class PyftpdlibNode: Sendable {
    let root: String
    let port: Int
    private let pid: Int32

    private init(root: String, port: Int, pid: Int32) {
        self.root = root
        self.port = port
        self.pid = pid
    }

    static func start() async throws -> PyftpdlibNode {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/pyftpd_server.py").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("root"), withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        try Data().write(to: portFile)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, dir.path + "/root", "peer", "peer-pw"]
        p.standardOutput = try FileHandle(forWritingTo: portFile)
        p.standardError = FileHandle.nullDevice
        try p.run()
        do {
            let port = try await eventuallyValue("pyftpdlib's port", timeout: .seconds(30)) {
                (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return PyftpdlibNode(root: dir.path + "/root", port: port, pid: p.processIdentifier)
        } catch {
            kill(p.processIdentifier, SIGKILL)
            throw ClusterError(.noNodeAvailable, "pyftpdlib did not start: run scripts/setup (pip install pyftpdlib)")
        }
    }

    var configuration: NodeConfiguration {
        NodeConfiguration(name: "pyftpdlib", host: "127.0.0.1", port: self.port, user: "peer", password: "peer-pw")
    }

    func stop() {
        kill(self.pid, SIGKILL)
        try? FileManager.default.removeItem(atPath: (self.root as NSString).deletingLastPathComponent)
    }
}

extension ClusterTests {
    /// A transfer the caller's side ends — its consumer throws (a web client hanging up mid-download), its source
    /// throws (an upload abandoned), or its task is cancelled — is not the nodes' failure: the consumer's own error
    /// comes back as it was, no other replica is tried, and each node's health is left as it was. Repeated, such
    /// endings once opened the nodes' circuits (three failures each) and took them out of service.
    @Test func theCallersOwnFailuresAreNotCountedAgainstTheNodes() async throws {
        struct ReaderLeft: Error {}
        struct SourceFailed: Error {}
        /// `count` bytes, then the failure.
        struct Failing: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            struct AsyncIterator: AsyncIteratorProtocol {
                var sent = 0
                mutating func next() async throws -> ByteBuffer? {
                    if self.sent >= 1_000_000 { throw SourceFailed() }
                    self.sent += 250_000
                    return ByteBuffer(repeating: 1, count: 250_000)
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
        }
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            _ = try await cluster.upload("film.mkv", from: Source(count: 3_000_000, delay: nil))
            for _ in 0..<4 {
                let calls = Collected()
                await #expect(throws: ReaderLeft.self) {
                    try await cluster.download("film.mkv") { chunk in
                        calls.append(chunk)
                        throw ReaderLeft()
                    }
                }
                #expect(calls.value.count > 0 && calls.value.count < 3_000_000, "one replica, one chunk: \(calls.value.count)")
                await #expect(throws: (any Error).self) { _ = try await cluster.upload("abandoned.bin", from: Failing()) }
            }
            let cancelled = Task {
                try await cluster.download("film.mkv") { _ in
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
            _ = await cancelled.result
            for status in await cluster.status() {
                #expect(status.isUp, "\(status.name): \(status.lastError ?? "")")
            }
            // Still in service: a new upload goes to both.
            #expect(try await cluster.upload("after.bin", from: Source(count: 1000, delay: nil)).nodes.count == 2)
            await cluster.close()
        }
    }
}

extension ClusterTests {
    /// An upload that announced its size and ends short of it — a file truncated while it was read, an attachment
    /// cut off — is refused and leaves nothing anywhere, not a short file kept as the whole one; a source sending
    /// more than it announced is refused the same way. (Before, the short file was stored as complete.)
    @Test func aSourceThatSendsOtherThanItAnnouncedStoresNothing() async throws {
        let peer = try await PyftpdlibNode.start()
        defer { peer.stop() }
        try await withNodes(1) { nodes in
            let cluster = try Cluster(nodes: [nodes[0].configuration, peer.configuration], replicas: 2)
            do {
                _ = try await cluster.upload("short.bin", from: Source(count: 600_000, delay: nil), size: 1_000_000)
                Issue.record("a source 400 kB short of its size was stored")
            } catch let error as ClusterError {
                #expect(error.code == .incompleteSource)
                #expect(error.message == "the file ended after 600000 of the 1000000 bytes it announced; send it again")
            }
            await #expect(throws: ClusterError(.sizeExceeded, "the file is larger than the 1000 bytes it was allowed")) {
                _ = try await cluster.upload("long.bin", from: Source(count: 600_000, delay: nil), size: 1000)
            }
            for name in ["short.bin", "long.bin"] {
                #expect(!(await nodes[0].has(name)), "\(name)")
                #expect(!(await cluster.knownFiles(in: .default)).contains { $0.name == name }, "\(name)")
            }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: peer.root + "/default")) ?? []
            #expect(left.isEmpty, "the peer kept \(left)")
            // The names are free: the whole file, as announced, is stored.
            let stored = try await cluster.upload("short.bin", from: Source(count: 600_000, delay: nil), size: 600_000)
            #expect(stored.size == 600_000 && stored.nodes.count == 2)
            await cluster.close()
        }
    }
}

extension ClusterTests {
    /// A node that stops waiting on a transfer whose other party paused — a download's consumer not reading, an
    /// upload's source sending nothing — for longer than the node's stall timeout (2 s here) is not blamed: the
    /// download resumes from the other replica and arrives whole, the upload fails saying it paused, and both
    /// nodes stay in service. (Before, each such pause counted against the node, and the upload said every
    /// storage node had failed.)
    @Test func aNodeThatStopsWaitingOnAPausedPartyIsNotBlamed() async throws {
        let pause = Duration.seconds(6)  // past the 5 s after which the cluster puts a node's failure down to a pause
        /// `count` bytes, pausing once after the first megabyte.
        struct Paused: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            let count: Int
            let pause: Duration
            struct AsyncIterator: AsyncIteratorProtocol {
                let count: Int
                let pause: Duration
                var sent = 0
                mutating func next() async throws -> ByteBuffer? {
                    guard self.sent < self.count else { return nil }
                    // The pause is the scenario itself (a client with nothing to send), not a wait for an event.
                    if self.sent == 1 << 20 { try await Task.sleep(for: self.pause) }
                    let n = Swift.min(64 * 1024, self.count - self.sent)
                    self.sent += n
                    return ByteBuffer(repeating: 7, count: n)
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: self.count, pause: self.pause) }
        }
        try await withNodes(2, dataTimeout: .seconds(2)) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let size = 24_000_000
            // The seed is set-up, not the scenario: on a loaded 2-core CI machine the nodes' 2 s stall timeout can
            // catch the seed itself (the test process starved for 2 s; seen once in CI). Such a failure stores
            // nothing, so it is simply stored again; three starvations in a row would still fail the test.
            var seeded = false
            for attempt in 1...3 where !seeded {
                do {
                    _ = try await cluster.upload("film.mkv", from: Source(count: size, delay: nil))
                    seeded = true
                } catch where attempt < 3 {
                    continue
                }
            }
            // A failed seed left its 426 as the nodes' last error; a health check clears it, so what the status
            // shows at the end is the scenario's doing alone.
            await cluster.refreshHealth()
            let got = Collected()
            let paused = Mutex(false)
            try await cluster.download("film.mkv") { chunk in
                let first = paused.withLock { was in
                    defer { was = true }
                    return !was
                }
                if first { try await Task.sleep(for: pause) }  // a reader busy elsewhere
                got.append(chunk)
            }
            #expect(got.value == Source.bytes(size))

            let error = await #expect(throws: ClusterError.self) {
                _ = try await cluster.upload("paused.bin", from: Paused(count: 8_000_000, pause: pause))
            }
            #expect(error?.message.contains("paused") == true, "\(String(describing: error))")
            for status in await cluster.status() {
                #expect(status.isUp, "\(status.name): \(status.lastError ?? "")")
            }
            await cluster.close()
        }
    }
}
