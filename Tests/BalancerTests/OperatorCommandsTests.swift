import Balancer
import FTPKit
import Foundation
import NIOCore
import Synchronization
import Testing

/// drain, rebalance and scrub against real FTP nodes (in-process servers over memory) and a catalog on disk.
@Suite(.serialized) struct OperatorCommandsTests {
    static func temporaryCatalog() throws -> (String, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir.path + "/catalog.sqlite", dir)
    }

    static func holders(_ cluster: Cluster) async -> [String: Int] {
        var count: [String: Int] = [:]
        for file in await cluster.knownFiles(in: .default) { for n in file.nodes { count[n, default: 0] += 1 } }
        return count
    }

    /// Drain a node holding replicas, then stop it: every file keeps its replica count and downloads; nothing
    /// new lands on the node while it is drained (also for the next process on the catalog) until undrained.
    @Test func aDrainedNodeCanBeStoppedWithoutLosingAReplica() async throws {
        let (catalog, dir) = try Self.temporaryCatalog()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withNodes(3) { nodes in
            var cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            for i in 0..<6 { _ = try await cluster.upload("f\(i).bin", from: Source(count: 20_000 + i, delay: nil)) }
            let onNode0 = await Self.holders(cluster)["node0", default: 0]
            #expect(onNode0 > 0)
            let lines = LineLog()
            let report = try await cluster.drain("node0") { lines.add($0) }
            #expect(report.copied == onNode0 && report.removed == onNode0 && report.problems.isEmpty, "\(report)")
            #expect(lines.all.count == onNode0 + 1)
            for file in await cluster.knownFiles(in: .default) {
                #expect(file.nodes.count == 2 && !file.nodes.contains("node0"), "\(file.name)")
                for n in file.nodes { #expect(await nodes.first { $0.name == n }!.has(file.name)) }
            }
            for i in 0..<6 { #expect(!(await nodes[0].has("f\(i).bin"))) }
            let fresh = try await cluster.upload("new.bin", from: Source(count: 10, delay: nil))
            #expect(!fresh.nodes.contains("node0"), "nothing new lands on a drained node")
            #expect(try await cluster.drain("node0").examined == 0, "running it again finds nothing left to do")

            await nodes[0].kill()
            for i in 0..<6 {
                let got = Collected()
                try await cluster.download("f\(i).bin") { got.append($0) }
                #expect(got.value == Source.bytes(20_000 + i))
            }
            await cluster.close()
            // The next process on the catalog knows the node is drained.
            try await nodes[0].start()
            cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            #expect(await cluster.draining == ["node0"])
            await #expect(throws: ClusterError.self) { _ = try await cluster.drain("node9") }
            try await cluster.undrain("node0")
            #expect(await cluster.draining.isEmpty)
            await cluster.close()
        }
    }

    /// A fourth node added to three full ones: rebalance moves replicas until the most-used node is within 10%
    /// of the mean, every file keeping its two replicas.
    @Test func rebalanceSpreadsReplicasOntoAnAddedNode() async throws {
        let (catalog, dir) = try Self.temporaryCatalog()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withNodes(4) { nodes in
            let first = try Cluster(nodes: nodes.prefix(3).map(\.configuration), replicas: 2, catalogPath: catalog)
            for i in 0..<12 { _ = try await first.upload("g\(i).bin", from: Source(count: 10_000, delay: nil)) }
            await first.close()
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            await cluster.refresh()
            #expect(await Self.holders(cluster)["node3"] == nil)
            let report = await cluster.rebalance()
            #expect(report.problems.isEmpty, "\(report)")
            let counts = await Self.holders(cluster)
            let mean = Double(12 * 2) / 4
            #expect(counts.values.allSatisfy { Double($0) <= mean * 1.1 }, "\(counts)")
            for file in await cluster.knownFiles(in: .default) {
                #expect(file.nodes.count == 2)
                for n in file.nodes { #expect(await nodes.first { $0.name == n }!.has(file.name), "\(file.name) on \(n)") }
            }
            for node in nodes {
                for i in 0..<12 where await node.has("g\(i).bin") {
                    #expect(await cluster.knownFile("g\(i).bin", in: .default)?.nodes.contains(node.name) == true, "no stray copy")
                }
            }
            #expect(await cluster.rebalance().copied == 0, "balanced already")
            await cluster.close()
        }
    }

    /// When the files' sizes do not allow 10% (one file, two replicas, three nodes), rebalance stops instead of
    /// moving the file back and forth.
    @Test func rebalanceStopsWhenSizesAllowNoBetter() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            _ = try await cluster.upload("only.bin", from: Source(count: 50_000, delay: nil))
            let lines = LineLog()
            let report = await cluster.rebalance { lines.add($0) }
            #expect(report.copied == 0 && report.problems.isEmpty, "\(report)")
            #expect(lines.all.last?.contains("as balanced as the files' sizes allow") == true, "\(lines.all)")
            await cluster.close()
        }
    }

    /// A replica corrupted on disk: scrub finds it (the node's HASH against the recorded SHA-256), reports it,
    /// and restores it from a good replica.
    @Test func scrubFindsAndRepairsACorruptReplica() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let file = try await cluster.upload("data.bin", from: Source(count: 100_000, delay: nil))
            _ = try await cluster.upload("other.bin", from: Source(count: 5_000, delay: nil))
            let victim = try #require(nodes.first { $0.name == file.nodes[0] })
            // Same size, different bytes: a flipped block, as a failing disk would leave it.
            let handle = try await victim.storage.openForWriting(FTPPath("/default/data.bin"), mode: .replace)
            var bytes = Source.bytes(100_000)
            for i in 5_000..<5_100 { bytes[i] ^= 0xFF }
            try await handle.write(ByteBuffer(bytes: bytes))
            try await handle.commit()

            let lines = LineLog()
            let report = await cluster.scrub { lines.add($0) }
            #expect(report.examined == 2 && report.corrupt == 1 && report.copied == 1 && report.problems.isEmpty, "\(report)")
            #expect(lines.all.contains { $0.contains("data.bin") && $0.contains(victim.name) && $0.contains("does not match") })
            let restored = Collected()
            let reader = try await victim.storage.openForReading(FTPPath("/default/data.bin"), offset: 0)
            while let chunk = try await reader.read(maxLength: 65536, allocator: ByteBufferAllocator()) { restored.append(chunk) }
            await reader.close()
            #expect(restored.value == Source.bytes(100_000))
            #expect(await cluster.scrub().corrupt == 0)
            await cluster.close()
        }
    }
}

/// Progress lines a command reported.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { self.lines.withLock { $0 } }
    func add(_ line: String) { self.lines.withLock { $0.append(line) } }
}
