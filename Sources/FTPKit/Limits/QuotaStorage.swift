import Foundation
import NIOCore
import Synchronization

/// A storage seen through one user's quota: uploads are charged to the user's ``QuotaAccount`` as their bytes
/// arrive and refused with ``FTPStorageError/Code/quotaExceeded`` (552) past the limit; deletes and renames onto
/// existing files give space back; `AVBL` reports what the quota leaves. Everything else passes through.
struct QuotaStorage: FTPStorage {
    let base: any FTPStorage
    let account: QuotaAccount

    /// Counts the regular files below `root` and their bytes (links and directories are free).
    static func usage(of storage: any FTPStorage, below root: FTPPath) async throws -> (bytes: UInt64, files: Int) {
        var bytes: UInt64 = 0
        var files = 0
        var directories = [root]
        while let directory = directories.popLast() {
            let listing: FTPDirectoryListing
            do { listing = try await storage.listing(directory: directory) } catch let e as FTPStorageError where e.code == .notFound {
                continue  // removed while walking, or a root not created yet
            }
            for try await entries in listing {
                for entry in entries {
                    switch entry.kind {
                    case .file:
                        bytes = bytes.addingClamped(entry.size)  // sparse files can overflow 64 bits together
                        files += 1
                    case .directory: directories.append(directory.appending(entry.name))
                    case .symbolicLink, .special: break
                    }
                }
            }
        }
        return (bytes, files)
    }

    func info(at path: FTPPath) async throws -> FTPFileInfo { try await self.base.info(at: path) }
    func list(directory path: FTPPath) async throws -> [FTPFileInfo] { try await self.base.list(directory: path) }
    func listing(directory path: FTPPath) async throws -> FTPDirectoryListing { try await self.base.listing(directory: path) }
    func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        try await self.base.openForReading(path, offset: offset)
    }
    func makeDirectory(_ path: FTPPath) async throws { try await self.base.makeDirectory(path) }
    func removeDirectory(_ path: FTPPath) async throws { try await self.base.removeDirectory(path) }
    func setModificationTime(_ path: FTPPath, to date: Date) async throws { try await self.base.setModificationTime(path, to: date) }
    func setPermissions(_ path: FTPPath, to mode: UInt16) async throws { try await self.base.setPermissions(path, to: mode) }

    /// The size of the regular file at `path`, or `nil` when there is none.
    private func fileSize(_ path: FTPPath) async -> UInt64? {
        guard let info = try? await self.base.info(at: path), info.kind == .file else { return nil }
        return info.size
    }

    func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle {
        let existing = await self.fileSize(path)
        let keeps: UInt64 = switch mode {
        case .replace: 0
        case .replaceFrom(let offset): offset
        case .append: existing ?? 0
        }
        let id: Int
        switch self.account.begin(path: path.description, existing: existing, keeps: keeps) {
        case .success(let reserved): id = reserved
        case .failure(let refusal): throw Self.error(refusal, path)
        }
        do {
            let handle = try await self.base.openForWriting(path, mode: mode)
            return QuotaWriteHandle(base: handle, storage: self, path: path, id: id)
        } catch {
            self.account.abort(id)
            throw error
        }
    }

    func remove(_ path: FTPPath) async throws {
        let size = await self.fileSize(path)
        try await self.base.remove(path)
        if let size { self.account.removed(bytes: size) }
    }

    func rename(_ from: FTPPath, to: FTPPath) async throws {
        // A file renamed onto another replaces it: the replaced one's bytes and file slot are given back.
        let replaced = from == to ? nil : await self.fileSize(to)
        try await self.base.rename(from, to: to)
        if let replaced { self.account.removed(bytes: replaced) }
    }

    func availableSpace(at path: FTPPath) async throws -> UInt64? {
        let disk = try await self.base.availableSpace(at: path)
        guard let quota = self.account.remainingBytes else { return disk }
        return min(disk ?? .max, quota)
    }

    static func error(_ refusal: QuotaLedger.Refusal, _ path: FTPPath) -> FTPStorageError {
        switch refusal {
        case .bytes(let limit): FTPStorageError(.quotaExceeded, "\(path): quota of \(FTPByteCount.format(limit)) bytes reached")
        case .files(let limit): FTPStorageError(.quotaExceeded, "\(path): quota of \(limit) files reached")
        }
    }
}

/// An upload charged to a quota chunk by chunk; exactly one of commit or abort settles its reservation.
final class QuotaWriteHandle: FTPWriteHandle {
    let base: any FTPWriteHandle
    let storage: QuotaStorage
    let path: FTPPath
    let id: Int
    private let settled = Atomic(false)

    init(base: any FTPWriteHandle, storage: QuotaStorage, path: FTPPath, id: Int) {
        self.base = base
        self.storage = storage
        self.path = path
        self.id = id
    }

    func write(_ buffer: ByteBuffer) async throws {
        if case .failure(let refusal) = self.storage.account.charge(self.id, bytes: UInt64(buffer.readableBytes)) {
            // The refusal released what this upload had written, in the same step (``QuotaLedger/charge(_:bytes:)``):
            // its books are settled, and its abort must not release anything again.
            self.settled.store(true, ordering: .releasing)
            throw QuotaStorage.error(refusal, self.path)
        }
        try await self.base.write(buffer)
    }

    func commit() async throws {
        let before = try? await self.storage.base.info(at: self.path)
        do {
            try await self.base.commit()
        } catch {
            self.settle { $0.abort(self.id) }
            throw error
        }
        let after = (try? await self.storage.base.info(at: self.path))?.size ?? 0
        let old = before?.kind == .file ? before?.size : nil
        self.settle { $0.commit(self.id, before: old, after: after) }
    }

    func abort() async {
        await self.base.abort()
        self.settle { $0.abort(self.id) }
    }

    private func settle(_ body: (QuotaAccount) -> Void) {
        if !self.settled.exchange(true, ordering: .acquiringAndReleasing) { body(self.storage.account) }
    }
}
