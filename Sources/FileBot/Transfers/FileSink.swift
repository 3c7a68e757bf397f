import Foundation
import FTPKit
public import NIOCore
import NIOPosix
import Synchronization

/// Writes downloaded chunks to a file, on NIO's thread pool: a download's consumer runs on the event loop that
/// reads the data connection, which must never wait for a disk. The file appears under its final name only when
/// ``commit()`` is called (after the checksum was verified), by one rename over whatever file had that name;
/// ``discard()`` removes the partial file. The partial file has a name of its own (`NAME.part-` and a random
/// hex number, created new), so no file is overwritten before the download is whole.
///
/// A destination that is no regular file (a device such as `/dev/stdout` or `/dev/null`, a named pipe, a socket) or
/// that names one through `/dev` or `/proc` is written into as it is: it cannot be replaced, and renaming a file
/// over it would put a file where a device was (that happened to `/dev/full`). What reached it before a failure
/// stays there. A symbolic link to a regular file is followed: the file it names is replaced and the link stays.
/// Such a destination is opened and written on a thread of the sink's own: a named pipe's open waits for a reader
/// and its writes for the reader to read, and on a shared thread (Swift's cooperative ones, or NIO's file threads,
/// which the embedded nodes' file calls use too) that wait held back the rest of the bot.
public final class FileSink: Sendable {
    /// The path the file ends up at.
    public let destination: String
    /// The partial file, renamed over `target` at commit; `nil` when writing straight into the destination.
    private let temporary: String?
    private let target: String
    private let handle: FileHandle
    private let failure = Mutex<Failure?>(nil)
    /// Where writes run: a thread of the sink's own for a device or pipe, else NIO's shared file threads.
    private let thread: WaitingThread?

    /// Why a write failed ("No space left on device"), once one has: the download fails with it, and this says why.
    public var writeFailure: Failure? { self.failure.withLock { $0 } }

    /// Why the file could not be written or put in place: the system's words ("No such file or directory").
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates the partial file beside `destination` (or opens `destination` itself when it is no regular file,
    /// which for a named pipe waits until it has a reader).
    public static func open(destination: String) async throws(Failure) -> FileSink {
        var info = stat()
        let exists = stat(destination, &info) == 0
        let special = (exists && (info.st_mode & S_IFMT) != S_IFREG) || destination.hasPrefix("/dev/")
            || destination.hasPrefix("/proc/")
        let thread = special ? WaitingThread() : nil
        do {
            return try await Self.run(on: thread) {
                try FileSink(destination: destination, exists: exists, thread: thread)
            }
        } catch {
            throw error as? Failure ?? Failure(description: "\(error)")
        }
    }

    private static func run<T: Sendable>(on thread: WaitingThread?, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        if let thread { return try await thread.run(body) }
        return try await NIOThreadPool.singleton.runIfActive(body)
    }

    private init(destination: String, exists: Bool, thread: WaitingThread?) throws(Failure) {
        self.destination = destination
        self.thread = thread
        if thread != nil {
            let fd = Glibc.open(destination, O_WRONLY | O_CLOEXEC | (exists ? 0 : O_CREAT), 0o644)
            guard fd >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
            (self.temporary, self.target) = (nil, destination)
            self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            return
        }
        // A link to a file: the file is replaced, beside itself, and the link keeps pointing at it.
        let target = exists ? (realpath(destination, nil).map { p in defer { free(p) }; return String(cString: p) } ?? destination) : destination
        var created: (String, CInt)?
        for _ in 0..<8 where created == nil {
            let suffix = ".part-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let path = NameBytes.path(beside: target, suffix: suffix)
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                created = (path, fd)
            } else if errno != EEXIST {
                throw Failure(description: String(cString: strerror(errno)))
            }
        }
        guard let (path, fd) = created else { throw Failure(description: "no free name for a partial file") }
        (self.temporary, self.target) = (path, target)
        self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Appends a chunk to the temporary file; throws (and remembers why) when it cannot be written.
    public func write(_ chunk: ByteBuffer) async throws {
        let fd = self.handle.fileDescriptor
        let code = try await Self.run(on: self.thread) {
            chunk.withUnsafeReadableBytes { bytes -> Int32 in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    done += n
                }
                return 0
            }
        }
        guard code == 0 else {
            let failure = Failure(description: String(cString: strerror(code)))
            self.failure.withLock { $0 = $0 ?? failure }
            throw failure
        }
    }

    /// Closes the file and renames it to its destination, replacing a file of that name in one step. A directory
    /// there is never replaced (before, it was removed with everything in it): the rename fails and this throws.
    public func commit() throws {
        try self.handle.close()
        guard let temporary = self.temporary else { return }
        guard rename(temporary, self.target) == 0 else { throw Failure(description: String(cString: strerror(errno))) }
    }

    /// Closes and removes the partial file (written straight into a device or pipe, what went there stays).
    public func discard() {
        try? self.handle.close()
        if let temporary = self.temporary { unlink(temporary) }
    }
}
