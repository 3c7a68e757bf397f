public import NIOCore
import Foundation

/// A local file read in chunks as it is uploaded (never whole in memory).
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    /// The file read.
    public let path: String

    /// The chunks of the file (or FIFO, or device) at `path`, read when iterated.
    public init(path: String) { self.path = path }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        public mutating func next() async throws -> ByteBuffer? {
            guard let handle, let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                try? self.handle?.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: FileHandle(forReadingAtPath: self.path)) }
}
