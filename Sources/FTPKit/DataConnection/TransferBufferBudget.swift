import NIOCore
import Synchronization

/// How large a piece each running transfer of one kind moves at a time, so what all of them hold together stays
/// bounded: the server has one for uploads (the size of each socket read) and one for downloads that pass through
/// memory (TLS, ASCII, digests: the size of each file read).
///
/// Every buffer a transfer holds is multiplied by the transfers running. One transfer moves fastest with 1 MiB
/// pieces: each costs a round trip to the file threads, and fewer, larger ones are cheaper (at 128 KiB a single
/// upload ran 30–40 % slower). But two hundred uploads with 1 MiB reads held 0.7–1.35 GB and faulted up to 370,000
/// fresh pages in one bench, and ran slower than with 128 KiB reads (0.15–0.3 GB); two hundred FTPS downloads with
/// 1 MiB file reads held 1.7 GB. So the budget is shared: the piece size is the budget divided among the transfers
/// running, a power of two between the kind's smallest and 1 MiB (Docs/benchmarks.md).
package final class TransferBufferBudget: Sendable {
    /// The memory all transfers of this kind may aim at together.
    package let budget: Int
    /// Buffers of the piece size one transfer holds at once.
    package let buffersPerTransfer: Int
    package let smallest: Int
    package let largest: Int
    private let count = Atomic<Int>(0)

    package init(budget: Int = 64 * 1024 * 1024, buffersPerTransfer: Int, smallest: Int, largest: Int = 1024 * 1024) {
        self.budget = budget
        self.buffersPerTransfer = max(1, buffersPerTransfer)
        self.smallest = smallest
        self.largest = max(smallest, largest)
    }

    /// Uploads: NIO's pool of receive buffers (``FTPDataConnection/serverReadsPerWakeUp``) plus the reads buffered
    /// ahead of storage and the one being written, about eight. The floor is 32 KiB: with 200 uploads at once a
    /// read finds about 34 KB in the socket, so larger buffers only hold memory. 128 KiB reads there peaked at
    /// 180–340 MB and cost 7.2–9.7 CPU-s per ftpbench concurrence bench; 32 KiB reads peaked at 71–127 MB and cost
    /// 5.9–7.0 (fewer fresh pages to fault, which this virtual machine makes expensive).
    package static func uploads(budget: Int = 64 * 1024 * 1024) -> TransferBufferBudget {
        TransferBufferBudget(budget: budget, buffersPerTransfer: 8, smallest: 32 * 1024)
    }

    /// Downloads through memory: the file reads in flight, the piece being encrypted or converted, and the writes
    /// the channel holds (``ChunkWriter``'s window) with their ciphertext, about eight. The floor is 64 KiB, the
    /// piece pyftpdlib and vsftpd read: smaller ones multiply the per-piece work (a TLS write, a promise) for no
    /// memory worth having.
    package static func downloads(budget: Int = 64 * 1024 * 1024) -> TransferBufferBudget {
        TransferBufferBudget(budget: budget, buffersPerTransfer: 8, smallest: 64 * 1024)
    }

    /// The piece size for each of `transfers` running transfers: a power of two, so it changes in few steps.
    package func size(for transfers: Int) -> Int {
        let share = self.budget / max(1, transfers) / self.buffersPerTransfer
        var size = self.largest
        while size > self.smallest && size > share { size /= 2 }
        return size
    }

    /// The piece size for the transfers running now.
    var currentSize: Int { self.size(for: self.running) }

    /// Transfers between ``begin()`` and ``end()``.
    package var running: Int { self.count.load(ordering: .relaxed) }

    /// Counts a transfer while it moves data.
    func begin() { self.count.add(1, ordering: .relaxed) }
    func end() { self.count.subtract(1, ordering: .relaxed) }

    /// A receive allocator that reads `size` bytes when the socket has them (and shrinks for a slow sender).
    static func receiveAllocator(readSize size: Int) -> AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: size, maximum: size)
    }
}
