@testable import Balancer
import Foundation
import Testing
import SeedTestSupport

/// The reservation book alone: every decision without a node or an await.
@Suite(.tags(.unit), .inTestSet(.unit)) struct UploadBookTests {
    static let space = Space("s")!
    static func none(_: FileKey) -> ClusterFile? { nil }
    static func nothingUsed(_: String, _: Space) -> SpaceUsage { SpaceUsage() }

    /// Sizes and free space come from nodes (listings, AVBL) and may be any 64-bit number: the arithmetic on them
    /// saturates instead of trapping.
    @Test func byteArithmeticSaturates() {
        #expect(UInt64.max.addingClamped(1) == .max)
        #expect(UInt64(5).addingClamped(7) == 12)
        #expect(UInt64(5).subtractingClamped(7) == 0)
        #expect(ClusterNode.adjust(.max, by: 10) == .max)
        #expect(ClusterNode.adjust(.max, by: -10) == UInt64.max - 10)
        #expect(ClusterNode.adjust(3, by: -10) == 0)
        #expect(ClusterNode.adjust(3, by: .min) == 0)
        #expect(ClusterNode.adjust(0, by: .max) == UInt64(Int64.max))
    }

    static func reserve(
        _ book: inout UploadBook, _ name: String, _ policy: NameCollisionPolicy, size: UInt64? = 10, owner: String = "ana",
        quota: UploadQuota? = nil, existing: @escaping (FileKey) -> ClusterFile? = none,
        used: @escaping (String, Space) -> SpaceUsage = nothingUsed
    ) -> Result<UploadBook.Ticket, ClusterError> {
        book.reserve(name: name, in: Self.space, policy: policy, size: size, owner: owner, quota: quota,
                     existing: existing, committedUsage: used)
    }

    @Test func rejectHoldsTheNameUntilReleased() throws {
        var book = UploadBook()
        let first = try Self.reserve(&book, "a.txt", .reject).get()
        #expect(Self.reserve(&book, "a.txt", .reject).failureCode == .nameTaken)
        #expect(Self.reserve(&book, "a.txt", .replace).failureCode == .nameBusy)
        // Another space is another name.
        #expect((try? book.reserve(name: "a.txt", in: Space("t")!, policy: .reject, size: 1, owner: nil, quota: nil,
                                   existing: Self.none, committedUsage: Self.nothingUsed).get()) != nil)
        book.release(first)
        #expect((try? Self.reserve(&book, "a.txt", .reject).get()) != nil)
    }

    @Test func keepBothSkipsStoredAndHeldNames() throws {
        var book = UploadBook()
        let stored: Set<String> = ["r.pdf", "r (2).pdf"]
        let existing: (FileKey) -> ClusterFile? = { stored.contains($0.name) ? ClusterFile(space: $0.space, name: $0.name, size: 1, nodes: []) : nil }
        let names = try (0..<3).map { _ in try Self.reserve(&book, "r.pdf", .keepBoth, existing: existing).get().key.name }
        #expect(names == ["r (3).pdf", "r (4).pdf", "r (5).pdf"])
        #expect(try Self.reserve(&book, ".hidden", .keepBoth, existing: { $0.name == ".hidden" ? ClusterFile(space: $0.space, name: "", size: 0, nodes: []) : nil }).get().key.name == ".hidden (2)")
        #expect(try Self.reserve(&book, "noext", .keepBoth, existing: { $0.name == "noext" ? ClusterFile(space: $0.space, name: "", size: 0, nodes: []) : nil }).get().key.name == "noext (2)")
    }

    @Test func replacingUploadsShareTheName() throws {
        var book = UploadBook()
        _ = try Self.reserve(&book, "x", .replace).get()
        _ = try Self.reserve(&book, "x", .replace).get()
        #expect(Self.reserve(&book, "x", .reject).failureCode == .nameTaken)
        #expect(try Self.reserve(&book, "x", .keepBoth).get().key.name == "x (2)")
    }

    @Test func quotasCountUploadsInFlight() throws {
        var book = UploadBook()
        let quota = UploadQuota(maxBytes: 25, maxFiles: 3)
        let used: (String, Space) -> SpaceUsage = { owner, _ in owner == "ana" ? SpaceUsage(bytes: 5, files: 1) : SpaceUsage() }
        _ = try Self.reserve(&book, "a", .reject, size: 10, quota: quota, used: used).get()
        #expect(Self.reserve(&book, "b", .reject, size: 11, quota: quota, used: used).failureCode == .quotaExceeded)
        _ = try Self.reserve(&book, "c", .reject, size: 10, quota: quota, used: used).get()
        #expect(Self.reserve(&book, "d", .reject, size: 0, quota: quota, used: used).failureCode == .quotaExceeded, "four files")
        // Someone else's quota is their own.
        _ = try Self.reserve(&book, "e", .reject, size: 25, owner: "bruno", quota: quota, used: used).get()
        #expect(book.usage(of: "ana", in: Self.space) == SpaceUsage(bytes: 20, files: 2))
    }

    @Test func anUnknownSizeHoldsWhatIsLeft() throws {
        var book = UploadBook()
        let quota = UploadQuota(maxBytes: 100)
        let ticket = try Self.reserve(&book, "a", .reject, size: nil, quota: quota).get()
        #expect(ticket.maxBytes == 100)
        #expect(Self.reserve(&book, "b", .reject, size: 1, quota: quota).failureCode == .quotaExceeded)
        book.release(ticket)
        #expect(try Self.reserve(&book, "b", .reject, size: nil).get().maxBytes == nil, "no quota, no limit")
    }

    @Test func replacingOnesOwnFileFreesItsBytes() throws {
        var book = UploadBook()
        let old: (FileKey) -> ClusterFile? = { ClusterFile(space: $0.space, name: $0.name, size: 80, uploader: "ana", nodes: []) }
        let used: (String, Space) -> SpaceUsage = { _, _ in SpaceUsage(bytes: 80, files: 1) }
        let quota = UploadQuota(maxBytes: 100, maxFiles: 1)
        _ = try Self.reserve(&book, "f", .replace, size: 90, quota: quota, existing: old, used: used).get()
        // Another's file of that name frees nothing of ana's.
        var other = UploadBook()
        let theirs: (FileKey) -> ClusterFile? = { ClusterFile(space: $0.space, name: $0.name, size: 80, uploader: "bruno", nodes: []) }
        #expect(Self.reserve(&other, "f", .replace, size: 90, quota: quota, existing: theirs, used: used).failureCode == .quotaExceeded)
    }
}

extension Result where Failure == ClusterError {
    var failureCode: ClusterError.Code? {
        if case .failure(let e) = self { return e.code }
        return nil
    }
}
