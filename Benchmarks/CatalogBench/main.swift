import Balancer
import FileBot
import Foundation
import Logging

// Catalog calls at scale, per store: a space of N files written, loaded, listed and autocompleted from the
// catalog, and a change followed by another process. Run by scripts/bench-catalog (which starts PostgreSQL).
// Usage: catalog-bench CATALOG_URL [FILES]   (the password from $PGPASSWORD)

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: catalog-bench CATALOG_URL [FILES]\n".utf8))
    exit(2)
}
let count = arguments.count >= 3 ? Int(arguments[2]) ?? 100_000 : 100_000
var logger = Logger(label: "catalog-bench")
logger.logLevel = .error
let location = try CatalogLocation(parsing: arguments[1], password: ProcessInfo.processInfo.environment["PGPASSWORD"])
let space = Space("bench")!

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// The median of `runs` timings of `body`, in milliseconds.
func median(_ runs: Int = 9, _ body: () async throws -> Void) async rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        try await body()
        times.append(milliseconds(ContinuousClock.now - start))
    }
    return times.sorted()[runs / 2]
}

let writer = try await location.open(logger: logger)
let writeStart = ContinuousClock.now
var batch: [CatalogChange] = []
for i in 0..<count {
    batch.append(.save(ClusterFile(
        space: space, name: "file \(i) report.pdf", size: UInt64(1000 + i), sha256: String(repeating: "a", count: 64),
        uploader: "user-\(i % 50)", uploadedAt: Date(), nodes: ["node\(i % 3)", "node\((i + 1) % 3)"], version: "v\(i)")))
    if batch.count == 1000 {
        try await writer.apply(batch)
        batch.removeAll(keepingCapacity: true)
    }
}
try await writer.apply(batch)
let writeSeconds = milliseconds(ContinuousClock.now - writeStart) / 1000

let load = try await median(3) { _ = try await writer.load() }
// A second process: its own store and cluster (no nodes: catalog calls only).
let reader = try await location.open(logger: logger)
let cluster = try await Cluster(nodes: [], catalog: reader, logger: logger)
let bot = FileBot(cluster: cluster, settings: FileBotSettings(), logger: logger)
let caller = Caller(id: "user-1", displayName: "user", space: space)
let listing = await median { _ = await cluster.knownFiles(in: space) }
let autocomplete = await median { _ = await bot.names(matching: "file 4217", for: caller) }
let idleSync = await median { await cluster.syncCatalog() }
var n = 0
let changeAndSync = try await median {
    n += 1
    try await writer.apply([.save(ClusterFile(space: space, name: "new \(n).txt", size: 1, nodes: ["node0"], version: "x"))])
    await cluster.syncCatalog()
}
print(String(format: "%@: %d files written in %.1f s; load %.1f ms; list a space %.1f ms; autocomplete %.2f ms; follow (no change) %.2f ms; write + follow one change %.2f ms",
             location.description, count, writeSeconds, load, listing, autocomplete, idleSync, changeAndSync))
await cluster.close()
await reader.close()
await writer.close()
