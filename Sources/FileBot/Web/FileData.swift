import AsyncAlgorithms
import NIOCore

/// What the multipart reader passes on.
enum FilePiece: Sendable {
    case file(name: String, size: UInt64?)
    case data(ByteBuffer)
    case end
}

/// The file part's bytes, from the reader's channel; ends at the part's end.
struct FileData: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let pieces: AsyncThrowingChannel<FilePiece, any Error>

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingChannel<FilePiece, any Error>.AsyncIterator
        var ended = false
        mutating func next() async throws -> ByteBuffer? {
            guard !self.ended else { return nil }
            switch try await self.base.next() {
            case .data(let data): return data
            case .end: self.ended = true
            case .file, nil: throw MultipartParser.Failure(description: "the body ended inside the file")
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.pieces.makeAsyncIterator()) }
}
