import Balancer
import Foundation
import Testing

/// An SQLite catalog serves one process at a time: a second open is refused, naming who holds it, until the first
/// closes it. (The same across processes, where it matters: `OperatorCommandLineTests`.)
@Suite struct CatalogFileLockTests {
    static func temporaryPath() throws -> (String, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir.path + "/catalog.sqlite", dir)
    }

    @Test func aSecondOpenIsRefusedUntilTheFirstCloses() throws {
        let (path, dir) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try SQLiteCatalogStore(path: path)
        let error = #expect(throws: ClusterError.self) { _ = try SQLiteCatalogStore(path: path) }
        #expect(error?.code == .catalogInUse)
        #expect(error?.message == "the catalog \(path) is open already in this process; "
            + "an SQLite catalog serves one process at a time", "\(String(describing: error))")
        let cluster = #expect(throws: ClusterError.self) { _ = try Cluster(nodes: [], catalogPath: path) }
        #expect(cluster?.code == .catalogInUse)

        first.close()
        // Used after closing: a typed error, not a crash or a write behind another process's back.
        let late = #expect(throws: ClusterError.self) { _ = try first.load() }
        #expect(late?.code == .catalogUnavailable)
        let second = try SQLiteCatalogStore(path: path)
        #expect(try second.load().files.isEmpty)
        second.close()
    }

    /// A cluster that opened its catalog closes it with itself, so the next one (a restart in the same process)
    /// can open it.
    @Test func aClusterClosesTheCatalogItOpened() async throws {
        let (path, dir) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Cluster(nodes: [], catalogPath: path)
        #expect(throws: ClusterError.self) { _ = try Cluster(nodes: [], catalogPath: path) }
        await first.close()
        let second = try Cluster(nodes: [], catalogPath: path)
        await second.close()
    }

    /// A store that is only released (never closed) lets go of the file as well.
    @Test func aReleasedStoreLetsGo() throws {
        let (path, dir) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try SQLiteCatalogStore(path: path) }
        let again = try SQLiteCatalogStore(path: path)
        again.close()
    }
}
