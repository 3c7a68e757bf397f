package import NIOCore
import Synchronization

/// A bounded single-consumer queue of buffers: the producer waits while it is full (backpressure), the consumer
/// reads it as an `AsyncSequence`. Used to stream one upload to several nodes at once without holding the file.
/// Both waits end when their task is cancelled: `push` then returns `false`, `next` throws `CancellationError`.
package final class ChunkQueue: Sendable {
    private struct State {
        var buffer: [ByteBuffer] = []
        var finished = false
        var failure: (any Error)?
        var consumerGone = false
        var consumer: CheckedContinuation<Void, Never>?
        var producer: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    let capacity: Int

    package init(capacity: Int = 4) { self.capacity = capacity }

    /// Adds a chunk, waiting while the queue is full. Returns false once the consumer has gone away (or this task
    /// was cancelled while waiting).
    package func push(_ chunk: ByteBuffer) async -> Bool {
        while true {
            enum Step { case done(Bool, CheckedContinuation<Void, Never>?), wait }
            let step: Step = self.state.withLock { s in
                if s.consumerGone { return .done(false, nil) }
                guard s.buffer.count < self.capacity else { return .wait }
                s.buffer.append(chunk)
                defer { s.consumer = nil }
                return .done(true, s.consumer)
            }
            switch step {
            case .done(let accepted, let wake):
                wake?.resume()
                return accepted
            case .wait:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let ready = self.state.withLock { s in
                            if s.consumerGone || s.buffer.count < self.capacity || Task.isCancelled { return true }
                            s.producer = c
                            return false
                        }
                        if ready { c.resume() }
                    }
                } onCancel: {
                    self.state.withLock { s in
                        defer { s.producer = nil }
                        return s.producer
                    }?.resume()
                }
                // A cancelled producer stops as if the consumer had gone.
                if Task.isCancelled { return false }
            }
        }
    }

    package func finish(throwing error: (any Error)? = nil) {
        let wake = self.state.withLock { s in
            s.finished = true
            s.failure = error
            defer { s.consumer = nil }
            return s.consumer
        }
        wake?.resume()
    }

    /// The consumer stopped (its upload failed): release the producer for good.
    package func abandon() {
        let wake = self.state.withLock { s in
            s.consumerGone = true
            s.buffer.removeAll()
            defer { s.producer = nil }
            return s.producer
        }
        wake?.resume()
    }

    package func next() async throws -> ByteBuffer? {
        while true {
            enum Step { case chunk(ByteBuffer, CheckedContinuation<Void, Never>?), end, failed(any Error), wait }
            let step: Step = self.state.withLock { s in
                if !s.buffer.isEmpty {
                    let c = s.buffer.removeFirst()
                    defer { s.producer = nil }
                    return .chunk(c, s.producer)
                }
                if let f = s.failure { return .failed(f) }
                if s.finished { return .end }
                return .wait
            }
            switch step {
            case .chunk(let c, let wake):
                wake?.resume()
                return c
            case .end: return nil
            case .failed(let e): throw e
            case .wait:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let ready = self.state.withLock { s in
                            if !s.buffer.isEmpty || s.finished || Task.isCancelled { return true }
                            s.consumer = c
                            return false
                        }
                        if ready { c.resume() }
                    }
                } onCancel: {
                    self.state.withLock { s in
                        defer { s.consumer = nil }
                        return s.consumer
                    }?.resume()
                }
                try Task.checkCancellation()
            }
        }
    }

    struct Sequence: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let queue: ChunkQueue
        struct AsyncIterator: AsyncIteratorProtocol {
            let queue: ChunkQueue
            mutating func next() async throws -> ByteBuffer? { try await self.queue.next() }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self.queue) }
    }

    var sequence: Sequence { Sequence(queue: self) }
}
