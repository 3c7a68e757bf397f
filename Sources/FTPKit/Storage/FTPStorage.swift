public import Foundation
public import NIOCore

/// Where an FTP server keeps its files. Paths are already normalized and confined to the user's virtual root;
/// a backend maps them onto whatever it stores (a local directory, memory, another service).
///
/// Implementations must be safe to call concurrently from many sessions. Every method throws ``FTPStorageError``.
public protocol FTPStorage: Sendable {
    func info(at path: FTPPath) async throws -> FTPFileInfo
    /// The entries of a directory, without `.` and `..`, in name order.
    func list(directory path: FTPPath) async throws -> [FTPFileInfo]
    /// The same entries, handed out in batches as they are read, for listings sent over a data connection. A
    /// backend that does not implement it hands out ``list(directory:)``'s array as one batch.
    func listing(directory path: FTPPath) async throws -> FTPDirectoryListing
    func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle
    /// Starts a write. Nothing is visible at `path` until ``FTPWriteHandle/commit()``; ``FTPWriteHandle/abort()``
    /// leaves the previous content as it was.
    func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle
    func remove(_ path: FTPPath) async throws
    func rename(_ from: FTPPath, to: FTPPath) async throws
    func makeDirectory(_ path: FTPPath) async throws
    func removeDirectory(_ path: FTPPath) async throws
    func setModificationTime(_ path: FTPPath, to date: Date) async throws
    /// Sets the permission bits (`0o000`–`0o777`) of the file or directory at `path` (`SITE CHMOD`). Backends that
    /// keep no modes throw ``FTPStorageError/Code/notSupported``, which the default implementation does.
    func setPermissions(_ path: FTPPath, to mode: UInt16) async throws
    /// Bytes available for new data below `path`, or `nil` when the backend cannot tell.
    func availableSpace(at path: FTPPath) async throws -> UInt64?
}

extension FTPStorage {
    public func listing(directory path: FTPPath) async throws -> FTPDirectoryListing {
        FTPDirectoryListing(try await self.list(directory: path))
    }

    public func setPermissions(_ path: FTPPath, to mode: UInt16) async throws {
        throw FTPStorageError(.notSupported, "SITE CHMOD")
    }
}

/// An open file being read from a given offset.
public protocol FTPReadHandle: Sendable {
    /// Bytes from the read offset to the end of the file.
    var remaining: UInt64 { get }
    /// When the content lives in a file, the descriptor and range so plain transfers can use `sendfile(2)`.
    /// The handle keeps ownership of the descriptor.
    var fileRegion: (descriptor: CInt, offset: UInt64, length: UInt64)? { get }
    /// The next chunk, or `nil` at the end.
    func read(maxLength: Int, allocator: ByteBufferAllocator) async throws -> ByteBuffer?
    func close() async
}

/// An upload in progress. Exactly one of ``commit()`` or ``abort()`` must be called.
public protocol FTPWriteHandle: Sendable {
    func write(_ buffer: ByteBuffer) async throws
    /// Makes the written content visible at the target path, atomically.
    func commit() async throws
    /// Discards what was written; the target keeps its previous content.
    func abort() async
}
