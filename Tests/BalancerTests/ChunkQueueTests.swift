import NIOCore
import Testing
import SeedTestSupport

@testable import Balancer

/// The bounded queue between an upload's reader and its nodes: backpressure in order, and waits that end when
/// their task is cancelled (a cancelled upload must not leave a producer or a consumer suspended for good).
@Suite(.tags(.unit), .inTestSet(.unit), .timeLimit(.minutes(1))) struct ChunkQueueTests {
    @Test func chunksArriveInOrderThenTheEnd() async throws {
        let queue = ChunkQueue(capacity: 2)
        let producer = Task {
            for i in 0..<10 { #expect(await queue.push(ByteBuffer(string: "\(i)"))) }
            queue.finish()
        }
        var got: [String] = []
        for try await chunk in queue.sequence { got.append(String(buffer: chunk)) }
        await producer.value
        #expect(got == (0..<10).map(String.init))
    }

    @Test func aWaitingProducerIsWokenAtHalfAQueueNotAtEveryChunk() async throws {
        let queue = ChunkQueue(capacity: 4)
        for i in 0..<4 { #expect(await queue.push(ByteBuffer(string: "\(i)"))) }
        let producer = Task { await queue.push(ByteBuffer(string: "4")) }
        while !queue.producerIsWaiting { await Task.yield() }
        // Three left: above the low-water mark of two, so the producer sleeps on.
        #expect(try await queue.next().map { String(buffer: $0) } == "0")
        #expect(queue.producerIsWaiting)
        // Two left: the producer is woken and its chunk goes in behind them.
        #expect(try await queue.next().map { String(buffer: $0) } == "1")
        #expect(!queue.producerIsWaiting)
        #expect(await producer.value)
        queue.finish()
        var rest: [String] = []
        for try await chunk in queue.sequence { rest.append(String(buffer: chunk)) }
        #expect(rest == ["2", "3", "4"])
    }

    @Test func aProducerWaitingOnAFullQueueStopsWhenCancelled() async throws {
        let queue = ChunkQueue(capacity: 1)
        #expect(await queue.push(ByteBuffer(string: "fills it")))
        let producer = Task { await queue.push(ByteBuffer(string: "waits")) }
        producer.cancel()
        #expect(await producer.value == false)
        // The queue still holds the first chunk for a consumer.
        #expect(try await queue.next().map { String(buffer: $0) } == "fills it")
    }

    @Test func aConsumerWaitingOnAnEmptyQueueStopsWhenCancelled() async throws {
        let queue = ChunkQueue(capacity: 1)
        let consumer = Task { try await queue.next() }
        consumer.cancel()
        await #expect(throws: CancellationError.self) { _ = try await consumer.value }
        queue.finish()
        #expect(try await queue.next() == nil)
    }
}
