public import NIOCore

/// An HTTP request body as an upload's source. A body whose connection ends before it does (the client closed it,
/// or the network dropped it) fails with ``Refusal/Reason/senderStopped(name:received:)`` instead of the HTTP
/// parser's error: the client, if still there, is answered 400 in plain words, and nothing reads as a storage node
/// failing. Cancellation and refusals pass through as they are.
public struct RequestBodyBytes<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let name: String

    /// `base`'s buffers; a body that ends early fails with ``Refusal`` naming `name`.
    public init(base: Base, name: String) {
        self.base = base
        self.name = name
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let name: String
        var received: UInt64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            do {
                let chunk = try await self.base.next()
                self.received += UInt64(chunk?.readableBytes ?? 0)
                return chunk
            } catch {
                throw Refusal.readingBody(failedWith: error, name: self.name, received: self.received)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), name: self.name)
    }
}

extension Refusal {
    /// What an error reading an upload's request body means: refusals and cancellation as they are, anything else
    /// (the HTTP parser's or the socket's) the connection ending inside the body, the sender stopping.
    static func readingBody(failedWith error: any Error, name: String, received: UInt64) -> any Error {
        switch error {
        case is Refusal, is CancellationError: error
        default: Refusal(.senderStopped(name: name, received: received))
        }
    }
}
