import Foundation
import FTPKit
public import NIOCore
import NIOPosix

/// Writes downloaded chunks to a file, on NIO's thread pool: a download's consumer runs on the event loop that
/// reads the data connection, which must never wait for a disk. The file appears under its final name only when
/// ``commit()`` is called (after the checksum was verified); ``discard()`` removes the partial file.
public final class FileSink: Sendable {
    public let destination: String
    private let temporary: String
    private let handle: FileHandle

    /// Creates `destination + ".part"`; `nil` when it cannot be written.
    public init?(destination: String) {
        self.destination = destination
        self.temporary = NameBytes.path(beside: destination, suffix: ".part")
        guard FileManager.default.createFile(atPath: self.temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: self.temporary)
        else { return nil }
        self.handle = handle
    }

    public func write(_ chunk: ByteBuffer) async throws {
        let handle = self.handle
        try await NIOThreadPool.singleton.runIfActive { try handle.write(contentsOf: Data(chunk.readableBytesView)) }
    }

    /// Closes the file and moves it to its destination (replacing what was there).
    public func commit() throws {
        try self.handle.close()
        if FileManager.default.fileExists(atPath: self.destination) {
            try FileManager.default.removeItem(atPath: self.destination)
        }
        try FileManager.default.moveItem(atPath: self.temporary, toPath: self.destination)
    }

    /// Closes and removes the partial file.
    public func discard() {
        try? self.handle.close()
        try? FileManager.default.removeItem(atPath: self.temporary)
    }
}
