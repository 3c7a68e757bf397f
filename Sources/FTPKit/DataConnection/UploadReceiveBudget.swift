import NIOCore
import Synchronization

/// How large a read each running upload makes, so what all uploads hold together stays bounded.
///
/// Every receive buffer an upload holds (NIO's per-channel pool, the few reads buffered ahead of storage, the one
/// being written) is multiplied by the uploads running. One upload moves fastest with 1 MiB reads: each costs a
/// round trip to the file threads, and fewer, larger ones are cheaper (at 128 KiB a single upload ran 30–40 %
/// slower). Two hundred uploads with 1 MiB reads held 0.7–1.35 GB and faulted up to 370,000 fresh pages in one
/// bench, and ran slower than with 128 KiB reads (0.15–0.3 GB). So the budget is shared: the read size is the
/// budget divided among the uploads running, between 32 KiB and 1 MiB (Docs/benchmarks.md).
///
/// Why the floor is 32 KiB: with 200 uploads at once a read finds about 34 KB in the socket, so larger buffers
/// only hold memory, and each upload held about twelve buffers' worth. 128 KiB reads there peaked at 180–340 MB
/// and cost 7.2–9.7 CPU-s per ftpbench concurrence bench; 32 KiB reads peaked at 71–127 MB and cost 5.9–7.0
/// (fewer fresh pages to fault, which this virtual machine makes expensive). A lone upload still reads 1 MiB.
package final class UploadReceiveBudget: Sendable {
    /// The receive memory all uploads may aim at together.
    package let budget: Int
    private let count = Atomic<Int>(0)

    /// Receive buffers an upload holds at once: NIO's pool (``FTPDataConnection/serverReadsPerWakeUp``) plus the
    /// reads buffered ahead of storage and the one being written.
    static let buffersPerUpload = 8
    static let smallest = 32 * 1024
    static let largest = 1024 * 1024

    package init(budget: Int = 64 * 1024 * 1024) {
        self.budget = budget
    }

    /// The read size for each of `uploads` running uploads: a power of two, so the size changes in few steps.
    package static func readSize(budget: Int, uploads: Int) -> Int {
        let share = budget / max(1, uploads) / Self.buffersPerUpload
        var size = Self.largest
        while size > Self.smallest && size > share { size /= 2 }
        return size
    }

    /// The read size for the uploads running now.
    var currentReadSize: Int {
        Self.readSize(budget: self.budget, uploads: self.running)
    }

    /// Uploads between ``begin()`` and ``end()``.
    package var running: Int { self.count.load(ordering: .relaxed) }

    /// Counts an upload while it receives data.
    func begin() { self.count.add(1, ordering: .relaxed) }
    func end() { self.count.subtract(1, ordering: .relaxed) }

    /// A receive allocator that reads `size` bytes when the socket has them (and shrinks for a slow sender).
    static func allocator(readSize size: Int) -> AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: size, maximum: size)
    }
}
