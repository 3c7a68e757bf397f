public import FTPKit
public import Foundation
import Synchronization

/// A node's storage that counts the directory listings it serves (LIST, NLST, MLSD, STAT), so a test can tell that
/// an operation did not list a space (what costs seconds in a space of 100,000 files) by what the node saw.
public final class ListingCountingStorage: FTPStorage {
    /// The count, which may outlive one storage (a node started again over the same files counts on).
    public final class Counter: Sendable {
        private let count = Mutex(0)
        public init() {}
        public var value: Int { self.count.withLock { $0 } }
        func add() { self.count.withLock { $0 += 1 } }
    }

    private let base: any FTPStorage
    public let counter: Counter

    public init(_ base: any FTPStorage, counter: Counter = Counter()) {
        self.base = base
        self.counter = counter
    }

    /// Listings served so far.
    public var listings: Int { self.counter.value }

    public func list(directory path: FTPPath) async throws -> [FTPFileInfo] {
        self.counter.add()
        return try await self.base.list(directory: path)
    }

    public func listing(directory path: FTPPath) async throws -> FTPDirectoryListing {
        self.counter.add()
        return try await self.base.listing(directory: path)
    }

    public func info(at path: FTPPath) async throws -> FTPFileInfo { try await self.base.info(at: path) }
    public func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        try await self.base.openForReading(path, offset: offset)
    }
    public func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle {
        try await self.base.openForWriting(path, mode: mode)
    }
    public func remove(_ path: FTPPath) async throws { try await self.base.remove(path) }
    public func rename(_ from: FTPPath, to: FTPPath) async throws { try await self.base.rename(from, to: to) }
    public func makeDirectory(_ path: FTPPath) async throws { try await self.base.makeDirectory(path) }
    public func removeDirectory(_ path: FTPPath) async throws { try await self.base.removeDirectory(path) }
    public func setModificationTime(_ path: FTPPath, to date: Date) async throws {
        try await self.base.setModificationTime(path, to: date)
    }
    public func setPermissions(_ path: FTPPath, to mode: UInt16) async throws {
        try await self.base.setPermissions(path, to: mode)
    }
    public func availableSpace(at path: FTPPath) async throws -> UInt64? { try await self.base.availableSpace(at: path) }
}
