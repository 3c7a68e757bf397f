// One transfer through `Cluster` or straight through `FTPClient`, for Benchmarks/cluster_bench.py to compare in one
// run (the cluster path's overhead: placement, replicas, the checksums, the catalog).
// usage: cluster-bench OP NAME --nodes PORT,PORT... --catalog FILE [--replicas N] [--size-mib N] [--check crc32c|sha256]
//   OP: direct-put | direct-get | cluster-put | cluster-get | cluster-delete | crc32c (CRC-32C of SIZE MiB in
//   memory, no node: the download check's own cost)
// Uploads send SIZE MiB of one 1 MiB buffer repeated (no file read in the measured path); downloads discard the
// bytes. Direct transfers go to the first node, in the cluster's directory. Prints the seconds the transfer took
// (connections and the catalog are opened before the clock starts).
import Balancer
import FTPKit
import Foundation
import NIOCore
import Synchronization

struct Options {
    var op = ""
    var name = ""
    var ports: [Int] = []
    var catalog = ""
    var replicas = 1
    var sizeMiB = 1024
    var user = "bot"
    var password = "benchpw"
    var check = DownloadCheck.crc32c

    init(_ args: [String]) throws {
        var rest = args.dropFirst()
        func value() throws -> String {
            guard let v = rest.popFirst() else { throw UsageError() }
            return v
        }
        while let arg = rest.popFirst() {
            switch arg {
            case "--nodes": self.ports = try value().split(separator: ",").compactMap { Int($0) }
            case "--catalog": self.catalog = try value()
            case "--replicas": self.replicas = Int(try value()) ?? 1
            case "--size-mib": self.sizeMiB = Int(try value()) ?? 1024
            case "--user": self.user = try value()
            case "--password": self.password = try value()
            case "--check": self.check = try DownloadCheck(rawValue: value()) ?? { throw UsageError() }()
            default:
                if self.op.isEmpty { self.op = arg } else if self.name.isEmpty { self.name = arg } else { throw UsageError() }
            }
        }
        guard !self.op.isEmpty, !self.name.isEmpty, self.op == "crc32c" || (!self.ports.isEmpty && !self.catalog.isEmpty)
        else { throw UsageError() }
    }
}

struct UsageError: Error {}

/// SIZE MiB of one buffer: ByteBuffers share their storage, so the source costs nothing per chunk.
struct RepeatedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunk: ByteBuffer
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunk: ByteBuffer
        var left: Int
        mutating func next() async -> ByteBuffer? {
            guard self.left > 0 else { return nil }
            self.left -= 1
            return self.chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: self.chunk, left: self.count) }
}

/// Counts and drops what a download delivers, as `curl -o /dev/null` does.
final class Counter: Sendable {
    let bytes = Atomic<UInt64>(0)
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

nonisolated func run(_ o: Options) async throws -> (seconds: Double, bytes: UInt64) {
    var block = ByteBuffer()
    block.writeBytes((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
    let source = RepeatedChunks(chunk: block, count: o.sizeMiB)
    let nodes = o.ports.enumerated().map { i, port in
        NodeConfiguration(name: "node\(i)", host: "127.0.0.1", port: port, user: o.user, password: o.password)
    }
    switch o.op {
    case "crc32c":
        let start = ContinuousClock.now
        var crc = CRC32C()
        for _ in 0..<o.sizeMiB { crc.update(block) }
        let elapsed = ContinuousClock.now - start
        return (seconds(elapsed), UInt64(o.sizeMiB) << 20 | UInt64(crc.value & 0))
    case "direct-put", "direct-get":
        let client = try await FTPClient.connect(host: "127.0.0.1", port: o.ports[0])
        try await client.login(user: o.user, password: o.password)
        let path = "/" + o.name
        let start = ContinuousClock.now
        let bytes: UInt64
        if o.op == "direct-put" {
            bytes = try await client.upload(source, to: path, total: UInt64(o.sizeMiB) << 20)
        } else {
            bytes = try await client.download(path) { stream in
                var n: UInt64 = 0
                for try await chunk in stream { n += UInt64(chunk.readableBytes) }
                return n
            }
        }
        let elapsed = ContinuousClock.now - start
        try await client.quit()
        return (seconds(elapsed), bytes)
    case "cluster-put", "cluster-get", "cluster-delete":
        let cluster = try Cluster(nodes: nodes, replicas: o.replicas, catalogPath: o.catalog, downloadCheck: o.check)
        await cluster.refresh()
        let start = ContinuousClock.now
        var bytes: UInt64 = 0
        switch o.op {
        case "cluster-put":
            bytes = try await cluster.upload(o.name, from: source, size: UInt64(o.sizeMiB) << 20, collision: .replace).size
        case "cluster-get":
            let counter = Counter()
            try await cluster.download(o.name) { chunk in
                counter.bytes.add(UInt64(chunk.readableBytes), ordering: .relaxed)
            }
            bytes = counter.bytes.load(ordering: .relaxed)
        default:
            try await cluster.delete(o.name)
        }
        let elapsed = ContinuousClock.now - start
        await cluster.close()
        return (seconds(elapsed), bytes)
    default:
        throw UsageError()
    }
}

do {
    let options = try Options(CommandLine.arguments)
    let result = try await run(options)
    // For crc32c, a third word names the path measured, so the figure is read against the right hardware.
    let path = CRC32C.usesVectorUnit ? "crc32+vpclmulqdq" : CRC32C.usesHardware ? "crc32" : "table"
    print(options.op == "crc32c" ? "\(result.seconds) \(result.bytes) \(path)" : "\(result.seconds) \(result.bytes)")
} catch is UsageError {
    FileHandle.standardError.write(Data(
        "usage: cluster-bench direct-put|direct-get|cluster-put|cluster-get|cluster-delete|crc32c NAME --nodes PORT,... --catalog FILE [--replicas N] [--size-mib N] [--check crc32c|sha256]\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("cluster-bench: \(error)\n".utf8))
    exit(1)
}
