public import NIOCore

/// Passes chunks through until more than `limit` bytes have come, then fails with a ``Refusal``: a source whose
/// size was not announced (or was announced wrong) cannot store more than the per-file limit.
public struct SizeLimitedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let limit: UInt64
    let name: String

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: UInt64
        let name: String
        var seen: UInt64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else { return nil }
            self.seen += UInt64(chunk.readableBytes)
            if self.seen > self.limit { throw Refusal(.tooLarge(name: self.name, size: self.seen, limit: self.limit)) }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), limit: self.limit, name: self.name)
    }
}
