import Foundation
import SeedTestSupport
import Synchronization
import Testing

@testable import Balancer

/// Following a catalog that stops answering: the first follow that fails costs its caller the store's answer
/// limit, and from then on callers are served what the cluster knows without waiting, while one follow at a time
/// probes the store in the background until it answers again.
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct CatalogFollowTests {
    @Test func aCatalogThatStopsAnsweringNoLongerHoldsUpCallers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FlakyStore(try SQLiteCatalogStore(path: directory + "/catalog.sqlite"))
        let time = ManualTime()
        let cluster = try await Cluster(nodes: [], catalog: store, now: time.now)

        await cluster.syncCatalog()
        #expect(store.follows == 1)

        store.mode = .fail
        await cluster.syncCatalog()
        #expect(store.follows == 2, "the failure is the caller's to wait for")
        for _ in 0..<3 { await cluster.syncCatalog() }
        #expect(store.follows == 2, "until the next probe, nobody waits on the store")

        // The probe: started by a caller who does not wait for it (the store holds it), and alone.
        store.mode = .stall
        time.advance(by: .seconds(61))
        await cluster.syncCatalog()
        try await eventually("the probe to reach the store") { store.follows == 3 && store.isStalled }
        await cluster.syncCatalog()
        #expect(store.follows == 3, "one probe at a time")

        // The store answers again: the probe succeeds, and callers wait for their follows as before.
        store.mode = .answer
        store.release()
        try await eventually("the probe to finish") {
            await cluster.syncCatalog()
            return store.follows == 4
        }
        await cluster.syncCatalog()
        #expect(store.follows == 5)
    }

    /// A SQLite catalog whose change feed answers, fails at once (as a stalled server does once its answer limit
    /// has passed), or waits until the test releases it.
    final class FlakyStore: CatalogStore {
        enum Mode { case answer, fail, stall }
        private let inner: SQLiteCatalogStore
        private let state = Mutex<(mode: Mode, follows: Int, stalled: CheckedContinuation<Void, Never>?)>((.answer, 0, nil))

        init(_ inner: SQLiteCatalogStore) { self.inner = inner }

        var mode: Mode {
            get { self.state.withLock { $0.mode } }
            set { self.state.withLock { $0.mode = newValue } }
        }
        var follows: Int { self.state.withLock { $0.follows } }
        var isStalled: Bool { self.state.withLock { $0.stalled != nil } }

        func release() {
            self.state.withLock { s in defer { s.stalled = nil }; return s.stalled }?.resume()
        }

        var location: String { "flaky:" + self.inner.location }
        var isShared: Bool { true }
        func load() async throws(ClusterError) -> CatalogSnapshot { try self.inner.load() }
        func apply(_ changes: [CatalogChange]) async throws(ClusterError) { try self.inner.apply(changes) }
        func claimLeadership() async -> Bool { true }
        func hold(_ key: FileKey, exclusive: Bool) async throws(ClusterError) -> Bool { true }
        func release(_ key: FileKey, exclusive: Bool) async {}
        func close() async { self.inner.close() }

        func changes(since sequence: Int64) async throws(ClusterError) -> CatalogDelta? {
            let mode = self.state.withLock { s in
                s.follows += 1
                return s.mode
            }
            if mode == .stall {
                await withCheckedContinuation { c in self.state.withLock { $0.stalled = c } }
            }
            if self.mode == .fail { throw ClusterError(.catalogUnavailable, "the server did not answer within 30 s") }
            return self.inner.changes(since: sequence)
        }
    }
}
