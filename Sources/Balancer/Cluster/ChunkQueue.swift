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
    /// A producer waiting on a full queue is woken once the consumer has taken it down to this many chunks, not at
    /// every chunk taken: when the consumer is the slower side (hashing, a slow node), one wake-up then serves half a
    /// queue instead of each chunk costing a wake-up on both sides (measured in Docs/benchmarks.md).
    var lowWater: Int { self.capacity / 2 }

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
                await self.suspend(.producer) { s in s.consumerGone || s.buffer.count < self.capacity }
                // A cancelled producer stops as if the consumer had gone.
                if Task.isCancelled { return false }
            }
        }
    }

    /// Whether a producer is suspended on a full queue (for tests of the wake-up policy).
    package var producerIsWaiting: Bool { self.state.withLock { $0.producer != nil } }

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
                    guard s.buffer.count <= self.lowWater else { return .chunk(c, nil) }
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
                await self.suspend(.consumer) { s in !s.buffer.isEmpty || s.finished }
                try Task.checkCancellation()
            }
        }
    }

    private enum Side { case producer, consumer }

    /// Waits in `side`'s slot until the other side wakes it, unless `ready` already holds; a cancellation of the
    /// task wakes it too (the caller checks for it).
    private func suspend(_ side: Side, unless ready: @escaping (State) -> Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = self.state.withLock { s in
                    if ready(s) || Task.isCancelled { return true }
                    switch side {
                    case .producer: s.producer = c
                    case .consumer: s.consumer = c
                    }
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            self.state.withLock { s in
                switch side {
                case .producer: defer { s.producer = nil }; return s.producer
                case .consumer: defer { s.consumer = nil }; return s.consumer
                }
            }?.resume()
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
