public import NIOCore

/// The bytes of a download as they arrive. Iterate it once; stopping early aborts the rest of the transfer.
public struct FTPDownloadStream: AsyncSequence {
    public typealias Element = ByteBuffer

    /// One iterator over the data connection, shared so the transfer can tell whether the body read to the end.
    final class State {
        var base: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var bytes: UInt64
        var finished = false
        /// Reading the data connection threw: an error out of the body is then the connection's, not the body's.
        var connectionFailed = false
        init(base: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, bytes: UInt64) {
            self.base = base
            self.bytes = bytes
        }
    }

    let state: State
    let total: UInt64?
    let progress: (@Sendable (FTPTransferProgress) -> Void)?

    init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, start: UInt64, total: UInt64?,
        progress: (@Sendable (FTPTransferProgress) -> Void)?
    ) {
        self.state = State(base: inbound.makeAsyncIterator(), bytes: start)
        self.total = total
        self.progress = progress
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let state: State
        let total: UInt64?
        let progress: (@Sendable (FTPTransferProgress) -> Void)?

        public mutating func next() async throws -> ByteBuffer? {
            guard !self.state.finished else { return nil }
            var base = self.state.base
            let chunk: ByteBuffer?
            do {
                chunk = try await base.next()
            } catch {
                self.state.connectionFailed = true
                throw error
            }
            self.state.base = base
            guard let chunk else {
                self.state.finished = true
                return nil
            }
            self.state.bytes += UInt64(chunk.readableBytes)
            self.progress?(FTPTransferProgress(bytes: self.state.bytes, total: self.total))
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(state: self.state, total: self.total, progress: self.progress)
    }
}
