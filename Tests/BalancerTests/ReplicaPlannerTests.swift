import SeedTestSupport
import Testing

@testable import Balancer

@Suite(.tags(.unit), .inTestSet(.unit)) struct ReplicaPlannerTests {
    let planner = ReplicaPlanner(replicas: 2)

    @Test func anUploadStreamsToTheBestNodesAndKeepsTheRestAsSpares() throws {
        let plan = try #require(self.planner.upload(ranking: ["b", "a", "c", "d"]))
        #expect(plan.targets == ["b", "a"])
        #expect(plan.spares == ["c", "d"])
        #expect(self.planner.upload(ranking: []) == nil)
        #expect(self.planner.upload(ranking: ["a"]) == .init(targets: ["a"], spares: []))
        #expect(ReplicaPlanner(replicas: 0).replicas == 1)
    }

    @Test func anUploadCommitsAllOrNothing() {
        #expect(self.planner.commit(ready: ["a"]) == [])
        #expect(self.planner.commit(ready: ["a", "c"]) == ["a", "c"])
        #expect(self.planner.shortfall(ready: 1) == 1)
        #expect(self.planner.shortfall(ready: 3) == 0)
        // A copy written twice (stream target, then copy target) is cleaned up once; committed ones stay.
        #expect(self.planner.leftovers(written: ["a", "b", "c", "a"], committed: ["c"]) == ["a", "b"])
        #expect(self.planner.leftovers(written: ["a", "b"], committed: ["a", "b"]) == [])
    }

    @Test func aNewVersionRemovesTheOldCopiesElsewhereAndLiftsPendingDeletionsWhereItLands() {
        let stale = self.planner.stale(previous: ["a", "b", "c"], pendingDeletions: ["d", "e"], newHolders: ["b", "e"])
        #expect(stale.remove == ["a", "c"])
        #expect(stale.stillPending == ["d"])
        #expect(self.planner.stale(previous: [], pendingDeletions: [], newHolders: ["a"]) == .init(remove: [], stillPending: []))
    }

    @Test func repairCountsReplicasAwayOnUnreachableNodesAsPresent() throws {
        // Recorded on a and b; b is unreachable: away, not lost; nothing to copy.
        #expect(self.planner.repair(recorded: ["a", "b"], found: ["a"], moving: [], unreachable: ["b"]) == nil)
        // b answered and does not have it: one copy from a, never onto a or b.
        let plan = try #require(self.planner.repair(recorded: ["a", "b"], found: ["a"], moving: [], unreachable: []))
        #expect(plan == .init(source: "a", missing: 1, exclude: ["a"], kept: ["a"]))
        // A copy found on a node the catalog does not record is not counted (repair adds recorded copies only).
        #expect(self.planner.repair(recorded: ["a"], found: ["a", "z"], moving: [], unreachable: [])?.missing == 1)
        // A replica still at the top level (a pending move) counts; the source is chosen deterministically.
        let moving = try #require(ReplicaPlanner(replicas: 3).repair(recorded: ["c", "b"], found: ["c"], moving: ["b"], unreachable: []))
        #expect(moving.source == "b")
        #expect(moving.missing == 1)
        // No copy left anywhere: nothing to copy from.
        #expect(self.planner.repair(recorded: ["a", "b"], found: [], moving: [], unreachable: []) == nil)
    }

    @Test func aDeleteLeavesTombstonesOnlyWhereNodesCouldNotBeAsked() {
        #expect(self.planner.deletionLeftovers(recorded: true, removed: ["a", "b"], unasked: ["c"]) == ["c"])
        #expect(self.planner.deletionLeftovers(recorded: true, removed: [], unasked: ["c"]) == ["c"], "known, away")
        #expect(self.planner.deletionLeftovers(recorded: false, removed: ["b"], unasked: []) == [], "found on a node")
        #expect(self.planner.deletionLeftovers(recorded: false, removed: [], unasked: ["c"]) == nil, "not known to exist")
    }
}
