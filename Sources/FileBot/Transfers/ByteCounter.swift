public import NIOCore
import Synchronization

/// Bytes moved so far, read by a progress display while the transfer writes it.
public final class ByteCounter: Sendable {
    private let count = Atomic<Int64>(0)
    /// A counter at zero.
    public init() {}
    /// Adds `n` bytes.
    public func add(_ n: Int) { self.count.add(Int64(n), ordering: .relaxed) }
    /// Bytes counted so far.
    public var value: Int64 { self.count.load(ordering: .relaxed) }
}

/// Counts the bytes flowing through a sequence.
public struct CountingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let counter: ByteCounter

    /// `base`'s chunks, each counted into `counter` as it passes.
    public init(base: Base, counter: ByteCounter) {
        self.base = base
        self.counter = counter
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let counter: ByteCounter
        public mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else { return nil }
            self.counter.add(chunk.readableBytes)
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.base.makeAsyncIterator(), counter: self.counter) }
}
