import Balancer
import FTPKit
import Foundation
import NIOCore
import Synchronization
import Testing
import SeedTestSupport

/// drain, rebalance and scrub against real FTP nodes (in-process servers over memory) and a catalog on disk.
@Suite(.tags(.slow), .inTestSet(.slow), .serialized) struct OperatorCommandsTests {
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

    /// A drain that cannot move its replicas (two nodes, two replicas each) says the node stays drained, and the
    /// status shows it, so nobody takes the node for one in service (before, the report listed only problems and
    /// the status said "up" while nothing new went there).
    @Test func aDrainThatCannotFinishLeavesTheNodeVisiblyDrained() async throws {
        try await withNodes(2) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            for i in 0..<3 { _ = try await cluster.upload("f\(i).bin", from: Source(count: 1000, delay: nil)) }
            let lines = LineLog()
            let report = try await cluster.drain("node0") { lines.add($0) }
            #expect(report.problems.count == 3 && report.removed == 0, "\(report)")
            #expect(lines.all.last == "node0 stays drained: nothing new goes there, and 3 files still have a replica on it; "
                + "drain it again once another node can take them, or undrain it", "\(lines.all)")
            var status = await cluster.status()
            #expect(status.map(\.isDraining) == [true, false])
            try await cluster.undrain("node0")
            status = await cluster.status()
            #expect(status.map(\.isDraining) == [false, false])
            await cluster.close()
        }
    }

    /// An upload placed on a node before the node was drained, still sending when the drain finished (it found
    /// nothing there to move): when it commits it sees the mark and moves its replica off, so the drained node
    /// ends empty and the file keeps two replicas. (Before, the file stayed on the drained node, and an operator
    /// who stopped it after "Done" lost that replica.)
    @Test func anUploadUnderWayWhenItsNodeIsDrainedEndsElsewhere() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let seed = try await cluster.upload("seed.bin", from: Source(count: 100_000, delay: nil))
            // Least-used placement sends the next upload to the node without the seed.
            let empty = try #require(nodes.first { !seed.nodes.contains($0.name) })
            let gate = Gate()
            let upload = Task { try await cluster.upload("late.bin", from: GatedSource(count: 1_000_000, gate: gate)) }
            // Placed: the node has the upload's transfer (memory storage shows the file only once it is closed).
            try await eventually("the upload placed on \(empty.name)", timeout: .seconds(60)) {
                await cluster.status().first { $0.name == empty.name }?.load.activeTransfers == 1
            }
            let report = try await cluster.drain(empty.name)
            #expect(report.examined == 0, "nothing committed there yet: \(report)")
            await gate.open()
            let file = try await upload.value
            #expect(file.nodes.count == 2 && !file.nodes.contains(empty.name), "\(file.nodes)")
            #expect(!(await empty.has("late.bin")))
            for n in nodes where file.nodes.contains(n.name) { #expect(await n.has("late.bin"), "\(n.name)") }
            let got = Collected()
            try await cluster.download("late.bin") { got.append($0) }
            #expect(got.value == Source.bytes(1_000_000))
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

extension OperatorCommandsTests {
    /// Runs an operator command in a task that `interrupt()` cancels, from the command's own progress callback
    /// if need be: the command starts only once the task is known, so an interrupt never misses it.
    final class Interruptible: Sendable {
        private let task = Mutex<Task<OperationReport, any Error>?>(nil)
        let lines = LineLog()

        func interrupt() { self.task.withLock { $0 }?.cancel() }

        func run(_ command: @escaping @Sendable (LineLog) async throws -> OperationReport) async throws -> OperationReport {
            let (go, start) = AsyncStream.makeStream(of: Void.self)
            let lines = self.lines
            let task = Task {
                for await _ in go { break }
                return try await command(lines)
            }
            self.task.withLock { $0 = task }
            start.yield()
            return try await task.value
        }
    }

    /// What every file must look like between any two steps of a command: its replicas on as many nodes as the
    /// catalog lists, each of those nodes holding it, and no node holding a copy the catalog does not list.
    static func expectConsistent(_ cluster: Cluster, _ nodes: [TestNode], names: [String]) async {
        for name in names {
            guard let file = await cluster.knownFile(name, in: .default) else {
                Issue.record("\(name) left the catalog")
                continue
            }
            #expect(file.nodes.count == 2, "\(name): \(file.nodes)")
            for node in nodes {
                let holds = await node.has(name)
                #expect(holds == file.nodes.contains(node.name), "\(name) on \(node.name): catalog \(file.nodes), node \(holds)")
            }
        }
    }

    /// A drain interrupted after two files (the task cancelled from its progress callback): it stops there with
    /// those two recorded and no file half-moved; run again by the next process on the catalog, it finishes.
    @Test func anInterruptedDrainFinishesWhenRunAgain() async throws {
        let (catalog, dir) = try Self.temporaryCatalog()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withNodes(3) { nodes in
            let names = (0..<9).map { "d\($0).bin" }
            let first = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            for (i, name) in names.enumerated() { _ = try await first.upload(name, from: Source(count: 30_000 + i, delay: nil)) }
            let onNode0 = await Self.holders(first)["node0", default: 0]
            try #require(onNode0 >= 4, "the test needs node0 to hold several files")

            let command = Interruptible()
            let interrupted = try await command.run { lines in
                try await first.drain("node0") { line in
                    lines.add(line)
                    if line.contains("now on") && lines.all.filter({ $0.contains("now on") }).count == 2 { command.interrupt() }
                }
            }
            #expect(interrupted.interrupted && interrupted.examined == 2 && interrupted.removed == 2, "\(interrupted)")
            #expect(command.lines.all.last?.contains("interrupted after 2 of \(onNode0) files") == true, "\(command.lines.all)")
            #expect(await Self.holders(first)["node0", default: 0] == onNode0 - 2)
            await Self.expectConsistent(first, nodes, names: names)
            await first.close()

            let second = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            let rest = try await second.drain("node0")
            #expect(!rest.interrupted && rest.examined == onNode0 - 2 && rest.problems.isEmpty, "\(rest)")
            #expect(await Self.holders(second)["node0", default: 0] == 0)
            await Self.expectConsistent(second, nodes, names: names)
            await second.close()
        }
    }

    /// A rebalance interrupted after its first move stops with that move complete; run again, it balances.
    @Test func anInterruptedRebalanceFinishesWhenRunAgain() async throws {
        let (catalog, dir) = try Self.temporaryCatalog()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withNodes(4) { nodes in
            let names = (0..<12).map { "r\($0).bin" }
            let three = try Cluster(nodes: nodes.prefix(3).map(\.configuration), replicas: 2, catalogPath: catalog)
            for name in names { _ = try await three.upload(name, from: Source(count: 10_000, delay: nil)) }
            await three.close()
            let first = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            await first.refresh()

            let command = Interruptible()
            let interrupted = try await command.run { lines in
                await first.rebalance { line in
                    lines.add(line)
                    if line.contains("moved from") { command.interrupt() }
                }
            }
            #expect(interrupted.interrupted && interrupted.copied == 1 && interrupted.removed == 1, "\(interrupted)")
            #expect(await Self.holders(first)["node3"] == 1)
            await Self.expectConsistent(first, nodes, names: names)
            await first.close()

            let second = try Cluster(nodes: nodes.map(\.configuration), replicas: 2, catalogPath: catalog)
            await second.refresh()
            let rest = await second.rebalance()
            #expect(!rest.interrupted && rest.problems.isEmpty, "\(rest)")
            let counts = await Self.holders(second)
            #expect(counts.values.allSatisfy { Double($0) <= Double(12 * 2) / 4 * 1.1 }, "\(counts)")
            await Self.expectConsistent(second, nodes, names: names)
            await second.close()
        }
    }

    /// A scrub interrupted after restoring the first of three corrupt replicas stops there; run again, it finds
    /// and restores the other two (and only those).
    @Test func anInterruptedScrubFinishesWhenRunAgain() async throws {
        try await withNodes(3) { nodes in
            let cluster = try Cluster(nodes: nodes.map(\.configuration), replicas: 2)
            let names = ["a.bin", "b.bin", "c.bin", "d.bin"]
            for name in names { _ = try await cluster.upload(name, from: Source(count: 40_000, delay: nil)) }
            for name in names.prefix(3) {
                let file = try #require(await cluster.knownFile(name, in: .default))
                let victim = try #require(nodes.first { $0.name == file.nodes[0] })
                var bytes = Source.bytes(40_000)
                for i in 1_000..<1_100 { bytes[i] ^= 0xFF }
                let handle = try await victim.storage.openForWriting(FTPPath("/default/\(name)"), mode: .replace)
                try await handle.write(ByteBuffer(bytes: bytes))
                try await handle.commit()
            }

            let command = Interruptible()
            let interrupted = try await command.run { lines in
                await cluster.scrub { line in
                    lines.add(line)
                    if line.contains("was restored") { command.interrupt() }
                }
            }
            #expect(interrupted.interrupted && interrupted.examined == 1 && interrupted.corrupt == 1 && interrupted.copied == 1, "\(interrupted)")
            let rest = await cluster.scrub()
            #expect(!rest.interrupted && rest.examined == 4 && rest.corrupt == 2 && rest.copied == 2 && rest.problems.isEmpty, "\(rest)")
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

/// ``Source``'s bytes, holding back all but the first 512 KiB (two of the cluster's pieces) until `gate` opens.
struct GatedSource: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int
    let gate: Gate
    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Source.AsyncIterator
        let gate: Gate
        var sent = 0
        mutating func next() async throws -> ByteBuffer? {
            if self.sent == 512 * 1024 { await self.gate.wait() }
            let chunk = try await self.inner.next()
            self.sent += chunk?.readableBytes ?? 0
            return chunk
        }
    }
    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: Source(count: self.count, delay: nil).makeAsyncIterator(), gate: self.gate)
    }
}
