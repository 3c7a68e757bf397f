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
///   the middle of a file: the kept prefix is copied into it first);
/// - writing at the end of the existing file and truncating back to its old length on abort (`APPE`, and
///   `REST n`+`STOR` where `n` is the current size, the common "resume an upload" case), which avoids copying.
///
/// Every name is used relative to the descriptor of the target's directory, opened once when the upload starts,
/// so a directory renamed or swapped for a link meanwhile cannot move the upload's files out of the root. The
/// temporary file is locked (`flock`) while the handle lives: an unlocked one was left by a process that died.
/// An in-place upload writes an ``AppendJournal`` first, locked the same way, so the appended bytes of a process
/// that died can be cut off again by ``LocalFileStorage/removeAbandonedUploads()``.
final class LocalWriteHandle: FTPWriteHandle {
    enum Strategy {
        case temporary(name: String)
        case inPlace(originalSize: UInt64, created: Bool, journal: (fd: CInt, name: String))
    }

    let descriptor: CInt
    let strategy: Strategy
    /// The target's directory and name.
    let directory: DirectoryDescriptor
    let name: String
    let storage: LocalFileStorage
    let virtualPath: FTPPath
    private let finished = Mutex(false)

    private init(
        descriptor: CInt, strategy: Strategy, directory: DirectoryDescriptor, name: String, storage: LocalFileStorage,
        virtualPath: FTPPath
    ) {
        self.descriptor = descriptor
        self.strategy = strategy
        self.directory = directory
        self.name = name
        self.storage = storage
        self.virtualPath = virtualPath
    }

    deinit {
        // A handle dropped without commit or abort (a bug in the caller) must still not publish anything.
        if !self.finished.withLock({ $0 }) {
            self.discard()
            self.closeJournal()
        }
    }

    static func open(storage: LocalFileStorage, path: FTPPath, mode: FTPWriteMode) throws -> LocalWriteHandle {
        guard !path.isRoot else { throw FTPStorageError(.isADirectory, "/") }
        if LocalFileStorage.isTemporaryName(path.name) {
            throw FTPStorageError(.invalidName, path.description)
        }
        let target = try storage.resolve(path, followFinal: true)
        guard let name = target.name else { throw FTPStorageError(.isADirectory, path.description) }
        let (st, code) = target.status()
        let exists = code == 0
        if !exists, code != ENOENT { throw FTPStorageError.fromErrno(code, path) }
        if exists {
            switch st.st_mode & S_IFMT {
            case S_IFDIR: throw FTPStorageError(.isADirectory, path.description)
            // Swapped for a link since it was resolved: refuse rather than resolve again.
            case S_IFLNK: throw FTPStorageError(.outsideRoot, path.description)
            case S_IFREG: break
            // A FIFO, socket or device someone else made is not ours to write into or replace.
            default: throw FTPStorageError(.notAFile, path.description)
            }
        }
        let currentSize = exists ? UInt64(st.st_size) : 0
        let inPlace: Bool
        switch mode {
        case .append: inPlace = true
        case .replaceFrom(let offset) where offset == currentSize && offset > 0: inPlace = true
        case .replaceFrom(let offset) where offset > currentSize:
            throw FTPStorageError(.invalidOffset, "\(path) is \(currentSize) bytes, restart at \(offset)")
        case .replace, .replaceFrom: inPlace = false
        }
        if inPlace {
            let fd = try target.openRegularFile(O_WRONLY | O_APPEND | O_CREAT, mode: 0o644, path: path).fd
            let journal: (CInt, String)
            do {
                journal = try Self.writeJournal(for: fd, originalSize: currentSize, created: !exists, name: name,
                                                in: target.directory, path: path)
            } catch {
                Glibc.close(fd)
                if !exists { unlinkat(target.directory.fd, name, 0) }
                throw error
            }
            return LocalWriteHandle(
                descriptor: fd, strategy: .inPlace(originalSize: currentSize, created: !exists, journal: journal),
                directory: target.directory, name: name, storage: storage, virtualPath: path)
        }
        let (fd, temp) = try Self.createTemporary(in: target.directory, path: path, mode: exists ? st.st_mode & 0o777 : 0o644)
        if case .replaceFrom(let offset) = mode, offset > 0 {
            do {
                try Self.copyPrefix(from: target, to: fd, length: offset, path: path)
            } catch {
                Glibc.close(fd)
                unlinkat(target.directory.fd, temp, 0)
                throw error
            }
        }
        return LocalWriteHandle(
            descriptor: fd, strategy: .temporary(name: temp), directory: target.directory, name: name,
            storage: storage, virtualPath: path)
    }

    /// Records how to undo an in-place upload into `fd` (the file named `name`) should this process die: an
    /// ``AppendJournal`` in a locked temporary file beside it, held until commit or abort.
    private static func writeJournal(
        for fd: CInt, originalSize: UInt64, created: Bool, name: String, in directory: DirectoryDescriptor, path: FTPPath
    ) throws -> (CInt, String) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        let journal = AppendJournal(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), originalSize: originalSize, created: created, name: name)
        let (jfd, jname) = try Self.createTemporary(in: directory, path: path, mode: 0o600, prefix: AppendJournal.prefix)
        let failure = Array(journal.encoded.utf8).withUnsafeBytes { writeAll(jfd, $0) }
        guard failure == 0 else {
            Glibc.close(jfd)
            unlinkat(directory.fd, jname, 0)
            throw FTPStorageError.fromErrno(failure, path)
        }
        return (jfd, jname)
    }

    private static func createTemporary(
        in directory: DirectoryDescriptor, path: FTPPath, mode: mode_t, prefix: String = LocalFileStorage.temporaryPrefix
    ) throws -> (CInt, String) {
        for _ in 0..<8 {
            let temp = prefix + Self.randomSuffix()
            let fd = Glibc.openat(directory.fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 {
                // New and unseen by anyone else, so the lock is free; it marks the file as a live upload.
                _ = flock(fd, LOCK_EX | LOCK_NB)
                return (fd, temp)
            }
            if errno != EEXIST { throw FTPStorageError.fromErrno(errno, path.parent) }
        }
        throw FTPStorageError(.io, "\(path): could not create a temporary file")
    }

    /// Twelve random letters and digits from one random number (each number drawn costs a system call).
    private static func randomSuffix() -> String {
        let digits = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var value = UInt64.random(in: 0...UInt64.max)
        var suffix = [UInt8](repeating: 0, count: 12)
        for i in suffix.indices {
            suffix[i] = digits[Int(value % 36)]
            value /= 36
        }
        return String(decoding: suffix, as: UTF8.self)
    }

    private static func copyPrefix(from source: ResolvedPath, to fd: CInt, length: UInt64, path: FTPPath) throws {
        let input = try source.openRegularFile(O_RDONLY, path: path).fd
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
        try await self.storage.runToCompletion { [self] in
            // Last, on every path: by then the file is committed or undone.
            defer { self.closeJournal() }
            if case .temporary(let temp) = self.strategy, !self.temporaryIsOurs(temp) {
                // Something replaced the temporary name (a link to a file outside the root, say): publishing it
                // under the target's name would hand it to every reader. Leave it be and fail the upload.
                Glibc.close(self.descriptor)
                throw FTPStorageError(.io, "\(path): the upload's temporary file was replaced")
            }
            if sync, fdatasync(self.descriptor) != 0 {
                let code = errno
                self.discard()
                throw FTPStorageError.fromErrno(code, path)
            }
            // Closed on every path: a failed close must not leak the descriptor either.
            if Glibc.close(self.descriptor) != 0 {
                let code = errno
                self.rollBack(reopening: true)
                throw FTPStorageError.fromErrno(code, path)
            }
            if case .temporary(let temp) = self.strategy,
                renameat(self.directory.fd, temp, self.directory.fd, self.name) != 0
            {
                let code = errno
                self.rollBack(reopening: true)
                throw FTPStorageError.fromErrno(code, path)
            }
        }
    }

    func abort() async {
        guard self.finished.withLock({ f in defer { f = true }; return !f }) else { return }
        _ = try? await self.storage.runToCompletion { [self] in
            self.discard()
            self.closeJournal()
        }
    }

    private func temporaryIsOurs(_ temp: String) -> Bool {
        var mine = stat()
        var named = stat()
        return fstat(self.descriptor, &mine) == 0
            && fstatat(self.directory.fd, temp, &named, AT_SYMLINK_NOFOLLOW) == 0
            && mine.st_ino == named.st_ino && mine.st_dev == named.st_dev
    }

    private func discard() {
        if case .inPlace(let originalSize, false, _) = self.strategy {
            // Cut back through our own descriptor: the name may lead elsewhere by now.
            _ = ftruncate(self.descriptor, off_t(originalSize))
        }
        let ours = if case .temporary(let temp) = self.strategy { self.temporaryIsOurs(temp) } else { true }
        Glibc.close(self.descriptor)
        if ours { self.rollBack(reopening: false) }
    }

    /// The upload is committed or undone: its journal goes (unlinked before its lock is released, so no cleanup
    /// in another process can act on it in between).
    private func closeJournal() {
        guard case .inPlace(_, _, let journal) = self.strategy else { return }
        unlinkat(self.directory.fd, journal.name, 0)
        Glibc.close(journal.fd)
    }

    /// Removes what this upload created, after its descriptor is closed; `reopening` also cuts an appended file
    /// back to its old length through the name (when the descriptor could not do it). Only names in the upload's
    /// directory are touched, and never through a link.
    private func rollBack(reopening: Bool) {
        switch self.strategy {
        case .temporary(let temp):
            unlinkat(self.directory.fd, temp, 0)
        case .inPlace(_, true, _):
            unlinkat(self.directory.fd, self.name, 0)
        case .inPlace(let originalSize, false, _):
            guard reopening else { return }
            // Not blocking: the name may have been swapped for a FIFO meanwhile (ftruncate then fails harmlessly).
            let fd = Glibc.openat(self.directory.fd, self.name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { return }
            _ = ftruncate(fd, off_t(originalSize))
            Glibc.close(fd)
        }
    }
}
