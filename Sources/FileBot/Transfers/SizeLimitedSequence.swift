public import NIOCore

/// Passes chunks through until more than `limit` bytes have come, then fails with a ``Refusal``: a source whose
/// size was not announced (or was announced wrong) cannot store more than the per-file limit. A source that
/// `announced` its size and ends short of it, or goes on past it, fails with
/// ``Refusal/Reason/sizeMismatch(name:received:announced:)``, so such a file is never stored as the whole one.
public struct SizeLimitedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let limit: UInt64
    let name: String
    let announced: UInt64?

    /// `base`'s chunks, failing past `limit` bytes, or off `announced` when given; `name` names the file in the
    /// error.
    public init(base: Base, limit: UInt64, name: String, announced: UInt64? = nil) {
        self.base = base
        self.limit = limit
        self.name = name
        self.announced = announced
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: UInt64
        let name: String
        let announced: UInt64?
        var seen: UInt64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else {
                if let announced = self.announced, self.seen < announced {
                    throw Refusal(.sizeMismatch(name: self.name, received: self.seen, announced: announced))
                }
                return nil
            }
            self.seen += UInt64(chunk.readableBytes)
            if let announced = self.announced, self.seen > announced, announced <= self.limit {
                throw Refusal(.sizeMismatch(name: self.name, received: self.seen, announced: announced))
            }
            if self.seen > self.limit { throw Refusal(.tooLarge(name: self.name, size: self.seen, limit: self.limit)) }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), limit: self.limit, name: self.name, announced: self.announced)
    }
}
