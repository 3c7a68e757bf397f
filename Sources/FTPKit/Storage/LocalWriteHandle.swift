import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An upload into a ``LocalFileStorage``.
///
/// Two strategies keep the previous content intact until commit:
/// - a new temporary file beside the target, renamed over it on commit (`STOR`, and `REST`+`STOR` that rewrites
///   the middle of a file: the kept prefix is copied in the kernel first);
/// - writing at the end of the existing file and truncating back to its old length on abort (`APPE`, and
///   `REST n`+`STOR` where `n` is the current size, the common "resume an upload" case), which avoids copying.
final class LocalWriteHandle: FTPWriteHandle {
    enum Strategy {
        case temporary(path: String, target: String)
        case inPlace(target: String, originalSize: UInt64, created: Bool)
    }

    let descriptor: CInt
    let strategy: Strategy
    let storage: LocalFileStorage
    let virtualPath: FTPPath
    private let finished = Mutex(false)

    private init(descriptor: CInt, strategy: Strategy, storage: LocalFileStorage, virtualPath: FTPPath) {
        self.descriptor = descriptor
        self.strategy = strategy
        self.storage = storage
        self.virtualPath = virtualPath
    }

    deinit {
        // A handle dropped without commit or abort (a bug in the caller) must still not publish anything.
        if !self.finished.withLock({ $0 }) { self.discard() }
    }

    static func open(storage: LocalFileStorage, path: FTPPath, mode: FTPWriteMode) throws -> LocalWriteHandle {
        guard !path.isRoot else { throw FTPStorageError(.isADirectory, "/") }
        if path.name.hasPrefix(LocalFileStorage.temporaryPrefix) {
            throw FTPStorageError(.invalidName, path.description)
        }
        let target = try storage.realPath(path, followFinal: true)
        var st = stat()
        let exists = stat(target, &st) == 0
        if exists, (st.st_mode & S_IFMT) == S_IFDIR { throw FTPStorageError(.isADirectory, path.description) }
        let currentSize = exists ? UInt64(st.st_size) : 0

        switch mode {
        case .append:
            return try Self.openInPlace(storage: storage, path: path, target: target, exists: exists, size: currentSize)
        case .replaceFrom(let offset) where offset == currentSize && offset > 0:
            return try Self.openInPlace(storage: storage, path: path, target: target, exists: exists, size: currentSize)
        case .replaceFrom(let offset) where offset > currentSize:
            throw FTPStorageError(.invalidOffset, "\(path) is \(currentSize) bytes, restart at \(offset)")
        case .replace, .replaceFrom:
            let (fd, temp) = try Self.createTemporary(near: target, path: path, mode: exists ? st.st_mode & 0o777 : 0o644)
            if case .replaceFrom(let offset) = mode, offset > 0 {
                do {
                    try Self.copyPrefix(from: target, to: fd, length: offset, path: path)
                } catch {
                    Glibc.close(fd)
                    unlink(temp)
                    throw error
                }
            }
            return LocalWriteHandle(
                descriptor: fd, strategy: .temporary(path: temp, target: target), storage: storage, virtualPath: path)
        }
    }

    private static func openInPlace(
        storage: LocalFileStorage, path: FTPPath, target: String, exists: Bool, size: UInt64
    ) throws -> LocalWriteHandle {
        let fd = Glibc.open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
        return LocalWriteHandle(
            descriptor: fd, strategy: .inPlace(target: target, originalSize: size, created: !exists),
            storage: storage, virtualPath: path)
    }

    private static func createTemporary(near target: String, path: FTPPath, mode: mode_t) throws -> (CInt, String) {
        let directory = String(target[..<(target.lastIndex(of: "/") ?? target.startIndex)])
        for _ in 0..<8 {
            let suffix = (0..<12).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }
            let temp = directory + "/" + LocalFileStorage.temporaryPrefix + String(suffix)
            let fd = Glibc.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 { return (fd, temp) }
            if errno != EEXIST { throw FTPStorageError.fromErrno(errno, path.parent) }
        }
        throw FTPStorageError(.io, "\(path): could not create a temporary file")
    }

    private static func copyPrefix(from source: String, to fd: CInt, length: UInt64, path: FTPPath) throws {
        let input = Glibc.open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
        defer { Glibc.close(input) }
        var left = length
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while left > 0 {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, Int(min(left, UInt64($0.count)))) }
            if n < 0 { throw FTPStorageError.fromErrno(errno, path) }
            if n == 0 { throw FTPStorageError(.invalidOffset, path.description) }
            let failure = chunk.withUnsafeBytes { writeAll(fd, UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            if failure != 0 { throw FTPStorageError.fromErrno(failure, path) }
            left -= UInt64(n)
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        let fd = self.descriptor
        let path = self.virtualPath
        try await self.storage.run {
            let failure = buffer.withUnsafeReadableBytes { writeAll(fd, $0) }
            if failure != 0 { throw FTPStorageError.fromErrno(failure, path) }
        }
    }

    func commit() async throws {
        guard self.finished.withLock({ f in defer { f = true }; return !f }) else { return }
        let sync = self.storage.syncOnCommit
        let path = self.virtualPath
        do {
            try await self.storage.runToCompletion { [self] in
                // Closed on every path: a failed sync must not leak the descriptor.
                let syncError = sync && fdatasync(self.descriptor) != 0 ? errno : 0
                let closeError = Glibc.close(self.descriptor) != 0 ? errno : 0
                if syncError != 0 { throw FTPStorageError.fromErrno(syncError, path) }
                if closeError != 0 { throw FTPStorageError.fromErrno(closeError, path) }
                if case .temporary(let temp, let target) = self.strategy {
                    guard Glibc.rename(temp, target) == 0 else {
                        let e = errno
                        unlink(temp)
                        throw FTPStorageError.fromErrno(e, path)
                    }
                }
            }
        } catch {
            self.rollBack()
            throw error
        }
    }

    func abort() async {
        guard self.finished.withLock({ f in defer { f = true }; return !f }) else { return }
        _ = try? await self.storage.runToCompletion { [self] in self.discard() }
    }

    private func discard() {
        Glibc.close(self.descriptor)
        self.rollBack()
    }

    private func rollBack() {
        switch self.strategy {
        case .temporary(let temp, _):
            unlink(temp)
        case .inPlace(let target, let originalSize, let created):
            if created { unlink(target) } else { truncate(target, off_t(originalSize)) }
        }
    }
}
