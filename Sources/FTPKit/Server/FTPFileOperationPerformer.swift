import NIOCore

/// Runs an ``FTPFileOperation`` against the storage; the state machine turns the result into a reply.
struct FTPFileOperationPerformer: Sendable {
    let storage: any FTPStorage

    func perform(_ operation: FTPFileOperation) async -> FTPFileOperationResult {
        do {
            switch operation {
            case .changeDirectory(let p, _), .size(let p, _), .modificationTime(let p, _), .renameSource(let p, _),
                .machineInfo(let p, _, _):
                return .info(try await self.storage.info(at: p))
            case .delete(let p, _):
                try await self.storage.remove(p)
            case .makeDirectory(let p, _):
                try await self.storage.makeDirectory(p)
            case .removeDirectory(let p, _):
                try await self.storage.removeDirectory(p)
            case .rename(let from, let to, _, _):
                try await self.storage.rename(from, to: to)
            case .setModificationTime(let p, let date, _, _):
                try await self.storage.setModificationTime(p, to: date)
            case .setPermissions(let p, let mode, _):
                try await self.storage.setPermissions(p, to: mode)
            case .status(let p, _):
                return .listingTarget(try await self.storage.listingTarget(p, patterns: true))
            case .availableSpace(let p):
                return .space(try await self.storage.availableSpace(at: p))
            case .hash(let p, _, let algorithm, let range):
                return try await self.hash(p, algorithm: algorithm, range: range)
            }
            return .done
        } catch let error as FTPStorageError {
            return .failed(error)
        } catch {
            return .failed(FTPStorageError(.io, "\(error)"))
        }
    }

    private func hash(_ path: FTPPath, algorithm: FTPHashAlgorithm, range: ClosedRange<UInt64>?) async throws
        -> FTPFileOperationResult
    {
        let info = try await self.storage.info(at: path)
        guard info.kind != .directory else { throw FTPStorageError(.isADirectory, path.description) }
        let first = range?.lowerBound ?? 0
        guard first <= info.size else { throw FTPStorageError(.invalidOffset, path.description) }
        let handle = try await self.storage.openForReading(path, offset: first)
        defer { Task { await handle.close() } }
        var left = min(handle.remaining, range.map { $0.upperBound - $0.lowerBound + 1 } ?? .max)
        let count = left
        let digest = Digest(algorithm)
        let allocator = ByteBufferAllocator()
        while left > 0, let chunk = try await handle.read(maxLength: Int(min(left, 1 << 20)), allocator: allocator) {
            // A large file (a sparse one may claim 2^63 − 1 bytes) hashes for as long as it takes: when the session
            // closes, its tasks are cancelled and the hashing stops here instead of running on without anyone.
            try Task.checkCancellation()
            chunk.withUnsafeReadableBytes { digest.update($0) }
            left -= UInt64(chunk.readableBytes)
        }
        // The range is inclusive, as in RANG; an empty file reports 0-0.
        return .hash(digest.finalizeHex(), first: first, last: count == 0 ? first : first + count - 1)
    }
}
