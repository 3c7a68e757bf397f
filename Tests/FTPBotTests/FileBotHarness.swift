import Balancer
import FTPKit
import FileBot
import Foundation
import Logging
import NIOCore
import Synchronization

/// Three in-process FTP nodes over temporary directories, a cluster and the use cases over them: FileBot's tests
/// run without any binary.
final class FileBotHarness: Sendable {
    let dir: URL
    let nodes: [TestNode]
    let cluster: Cluster
    let bot: FileBot

    private init(dir: URL, nodes: [TestNode], cluster: Cluster, bot: FileBot) {
        self.dir = dir
        self.nodes = nodes
        self.cluster = cluster
        self.bot = bot
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    static func start(
        settings: FileBotSettings = FileBotSettings(), catalogPath: String? = nil, legacySpace: Space = .default,
        dir existing: URL? = nil, slowNodes: Bool = false, replicas: Int = 2, logger: Logger = FileBotHarness.quietLogger
    ) async throws -> FileBotHarness {
        let dir = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("filebot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var nodes: [TestNode] = []
        for i in 0..<3 {
            let node = TestNode(name: "node\(i)", root: dir.path + "/node\(i)", slow: slowNodes)
            try await node.start()
            nodes.append(node)
        }
        let cluster = try Cluster(
            nodes: nodes.map { NodeConfiguration(name: $0.name, host: "127.0.0.1", port: $0.port, user: "bot", password: "node-secret") },
            replicas: replicas, catalogPath: catalogPath, legacySpace: legacySpace, logger: logger)
        return FileBotHarness(dir: dir, nodes: nodes, cluster: cluster, bot: FileBot(cluster: cluster, settings: settings, logger: logger))
    }

    /// Runs `body` with a started harness and stops it afterwards, however `body` ends.
    static func with(
        settings: FileBotSettings = FileBotSettings(), slowNodes: Bool = false, replicas: Int = 2,
        _ body: (FileBotHarness) async throws -> Void
    ) async throws {
        let h = try await Self.start(settings: settings, slowNodes: slowNodes, replicas: replicas)
        do {
            try await body(h)
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    func stop(keepFiles: Bool = false) async {
        await self.cluster.close()
        for node in self.nodes { await node.kill() }
        if !keepFiles { try? FileManager.default.removeItem(at: self.dir) }
    }

    /// Every file under the nodes' roots whose name marks an unfinished upload or copy.
    var temporaryFiles: [String] {
        let enumerator = FileManager.default.enumerator(atPath: self.dir.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".seed-upload-") || name.contains(".part-") { found.append(path) }
        }
        return found
    }
}

/// Bytes collected from a download's chunks.
final class Collected: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ chunk: ByteBuffer) { self.bytes.withLock { $0 += chunk.readableBytesView } }
    var data: Data { self.bytes.withLock { Data($0) } }
}

/// A source of fixed bytes, in one chunk.
struct Bytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let data: Data
    struct AsyncIterator: AsyncIteratorProtocol {
        var data: Data?
        mutating func next() async throws -> ByteBuffer? {
            defer { self.data = nil }
            return self.data.map { ByteBuffer(bytes: $0) }
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(data: self.data) }
}

extension FileBot {
    /// Uploads `data` as `name`.
    func put(_ name: String, _ data: Data, by caller: Caller, collision: NameCollisionPolicy? = nil) async -> Result<StoredFile, Refusal> {
        await self.upload(name, size: UInt64(data.count), by: caller, collision: collision) { Bytes(data: data) }
    }

    /// Downloads `name` whole.
    func get(_ name: String, by caller: Caller) async -> Result<Data, Refusal> {
        let got = Collected()
        return await self.download(name, for: caller) { got.append($0) }.map { _ in got.data }
    }
}
