import Foundation
import FTPKit
public import NIOCore
import NIOPosix

/// Writes downloaded chunks to a file, on NIO's thread pool: a download's consumer runs on the event loop that
/// reads the data connection, which must never wait for a disk. The file appears under its final name only when
/// ``commit()`` is called (after the checksum was verified), by one rename over whatever file had that name;
/// ``discard()`` removes the partial file. The partial file has a name of its own (`NAME.part-` and a random
/// hex number, created new), so no file is overwritten before the download is whole.
public final class FileSink: Sendable {
    public let destination: String
    private let temporary: String
    private let handle: FileHandle

    /// Why the file could not be written or put in place: the system's words ("No such file or directory").
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates the partial file beside `destination`.
    public init(destination: String) throws(Failure) {
        self.destination = destination
        var created: (String, CInt)?
        for _ in 0..<8 where created == nil {
            let suffix = ".part-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let path = NameBytes.path(beside: destination, suffix: suffix)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                created = (path, fd)
            } else if errno != EEXIST {
                throw Failure(description: String(cString: strerror(errno)))
            }
        }
        guard let (path, fd) = created else { throw Failure(description: "no free name for a partial file") }
        self.temporary = path
        self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    public func write(_ chunk: ByteBuffer) async throws {
        let handle = self.handle
        try await NIOThreadPool.singleton.runIfActive { try handle.write(contentsOf: Data(chunk.readableBytesView)) }
    }

    /// Closes the file and renames it to its destination, replacing a file of that name in one step. A directory
    /// there is never replaced (before, it was removed with everything in it): the rename fails and this throws.
    public func commit() throws {
        try self.handle.close()
        guard rename(self.temporary, self.destination) == 0 else { throw Failure(description: String(cString: strerror(errno))) }
    }

    /// Closes and removes the partial file.
    public func discard() {
        try? self.handle.close()
        unlink(self.temporary)
    }
}
