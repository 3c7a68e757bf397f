public import Foundation
import NIOCore
public import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stores files in a local directory. Every path is confined to that directory, also while other programs with
/// write access inside it rename directories or swap them for symbolic links: paths are resolved from a descriptor
/// of the root held open (``RootDirectory``) and every operation uses the `*at` system calls on the descriptor of
/// the entry's directory, never a path the kernel could follow elsewhere. Links that stay inside the root are
/// followed; links that leave it are refused (`Docs/ftpd.md`).
///
/// Blocking system calls run on a `NIOThreadPool`, never on an event loop. Uploads go to a hidden temporary file
/// next to the target and are renamed into place on commit, so readers never see a partial file; the writer holds
/// a lock on it, so ``removeAbandonedUploads()`` can tell the leftovers of a crashed process from live uploads.
public struct LocalFileStorage: FTPStorage {
    /// The real (symlink-free) path of the root directory.
    public let root: String
    /// Flush uploaded data to disk before a commit reports success (slower; survives power loss).
    public var syncOnCommit: Bool
    let threadPool: NIOThreadPool
    let directory: RootDirectory

    static let temporaryPrefix = ".seed-upload-"

    /// Whether `name` is one of this storage's in-flight uploads or journals, judged on its bytes as the listing
    /// judges it (a `Character` comparison would miss a prefix whose last `-` carries a combining mark).
    static func isTemporaryName(_ name: String) -> Bool { name.utf8.starts(with: Self.temporaryPrefix.utf8) }

    /// - Parameter root: an existing directory.
    public init(root: String, syncOnCommit: Bool = false, threadPool: NIOThreadPool = .singleton) throws {
        try self.init(root: root, syncOnCommit: syncOnCommit, threadPool: threadPool, useOpenat2: true)
    }

    /// - Parameter useOpenat2: `false` resolves every path with the component walk (for tests of that path).
    package init(root: String, syncOnCommit: Bool = false, threadPool: NIOThreadPool = .singleton, useOpenat2: Bool)
        throws
    {
        guard let real = realpath(root, nil) else {
            throw FTPStorageError(.notFound, "storage root \(root): \(String(cString: strerror(errno)))")
        }
        defer { free(real) }
        self.root = String(cString: real)
        self.directory = try RootDirectory(path: self.root, useOpenat2: useOpenat2)
        self.syncOnCommit = syncOnCommit
        self.threadPool = threadPool
    }

    /// Runs `body` on the thread pool even when the calling task is cancelled (or inline if the pool has shut
    /// down). For work that must happen once decided: removing an unfinished upload, committing one. `run`
    /// skips its body for a cancelled task, and a session whose client vanished cancels its transfer: aborts that
    /// went through `run` left `.seed-upload-*` files behind (found by fuzzing ftpd).
    func runToCompletion<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.threadPool.submit { _ in continuation.resume(with: Result(catching: body)) }
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await self.threadPool.runIfActive(body)
        } catch let error as FTPStorageError {
            throw error
        } catch {
            throw FTPStorageError(.io, "storage unavailable: \(error)")
        }
    }

    func resolve(_ path: FTPPath, followFinal: Bool) throws(FTPStorageError) -> ResolvedPath {
        try self.directory.resolve(path, followFinal: followFinal)
    }

    static func info(name: String, st: stat, kind: FTPFileInfo.Kind? = nil) -> FTPFileInfo {
        let type = st.st_mode & S_IFMT
        let k: FTPFileInfo.Kind
        switch (kind, type) {
        case (let given?, _): k = given
        case (nil, S_IFREG): k = .file
        case (nil, S_IFDIR): k = .directory
        case (nil, S_IFLNK): k = .symbolicLink
        case (nil, S_IFIFO): k = .special(letter: "p")
        case (nil, S_IFSOCK): k = .special(letter: "s")
        case (nil, S_IFCHR): k = .special(letter: "c")
        case (nil, S_IFBLK): k = .special(letter: "b")
        default: k = .special(letter: "?")
        }
        let seconds = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        return FTPFileInfo(
            name: name, kind: k, size: UInt64(max(0, st.st_size)),
            modified: Date(timeIntervalSince1970: seconds), mode: UInt16(st.st_mode & 0o7777),
            uniqueID: String(UInt64(st.st_dev), radix: 16) + "U" + String(UInt64(st.st_ino), radix: 16))
    }

    /// The status of the entry `path` leads to, following links inside the root.
    func status(_ path: FTPPath) throws(FTPStorageError) -> stat {
        let (st, code) = try self.resolve(path, followFinal: true).status()
        guard code == 0 else { throw FTPStorageError.fromErrno(code, path) }
        return st
    }

    // MARK: - FTPStorage

    public func info(at path: FTPPath) async throws -> FTPFileInfo {
        try await self.run { Self.info(name: path.name, st: try self.status(path)) }
    }

    public func list(directory path: FTPPath) async throws -> [FTPFileInfo] {
        try await self.run {
            let cursor = try LocalDirectoryCursor(storage: self, path: path)
            var entries: [FTPFileInfo] = []
            while let batch = cursor.nextBatch() { entries.append(contentsOf: batch) }
            return entries
        }
    }

    public func listing(directory path: FTPPath) async throws -> FTPDirectoryListing {
        let (cursor, first) = try await self.run {
            let cursor = try LocalDirectoryCursor(storage: self, path: path)
            return (cursor, cursor.nextBatch() ?? [])
        }
        return FTPDirectoryListing(first: first) { cursor.isFinished ? nil : try await self.run { cursor.nextBatch() } }
    }

    public func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        try await self.run {
            let (fd, st) = try self.resolve(path, followFinal: true).openRegularFile(O_RDONLY, path: path)
            let size = UInt64(st.st_size)
            guard offset <= size else {
                close(fd)
                throw FTPStorageError(.invalidOffset, "\(path) is \(size) bytes, restart at \(offset)")
            }
            return LocalReadHandle(descriptor: fd, offset: offset, end: size, threadPool: self.threadPool)
        }
    }

    public func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle {
        try await self.run { try LocalWriteHandle.open(storage: self, path: path, mode: mode) }
    }

    /// The entry `path` names itself (a link stays a link), refusing the root.
    private func entry(_ path: FTPPath) throws(FTPStorageError) -> (directory: DirectoryDescriptor, name: String) {
        let resolved = try self.resolve(path, followFinal: false)
        guard let name = resolved.name else { throw FTPStorageError(.permissionDenied, path.description) }
        return (resolved.directory, name)
    }

    public func remove(_ path: FTPPath) async throws {
        try await self.run {
            let (directory, name) = try self.entry(path)
            var st = stat()
            guard fstatat(directory.fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPStorageError.fromErrno(errno, path)
            }
            if (st.st_mode & S_IFMT) == S_IFDIR { throw FTPStorageError(.isADirectory, path.description) }
            guard unlinkat(directory.fd, name, 0) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func rename(_ from: FTPPath, to: FTPPath) async throws {
        try await self.run {
            guard !from.isRoot, !to.isRoot else { throw FTPStorageError(.permissionDenied, "/") }
            if from.contains(to), from != to { throw FTPStorageError(.invalidName, "\(to) is inside \(from)") }
            let source = try self.entry(from)
            let target = try self.entry(to)
            var st = stat()
            guard fstatat(source.directory.fd, source.name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPStorageError.fromErrno(errno, from)
            }
            guard renameat(source.directory.fd, source.name, target.directory.fd, target.name) == 0 else {
                throw FTPStorageError.fromErrno(errno, to)
            }
        }
    }

    public func makeDirectory(_ path: FTPPath) async throws {
        try await self.run {
            guard !path.isRoot else { throw FTPStorageError(.alreadyExists, "/") }
            let (directory, name) = try self.entry(path)
            guard mkdirat(directory.fd, name, 0o755) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func removeDirectory(_ path: FTPPath) async throws {
        try await self.run {
            let (directory, name) = try self.entry(path)
            guard unlinkat(directory.fd, name, AT_REMOVEDIR) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func setModificationTime(_ path: FTPPath, to date: Date) async throws {
        try await self.run {
            let resolved = try self.resolve(path, followFinal: true)
            let t = date.timeIntervalSince1970
            let whole = t.rounded(.down)
            let time = timespec(tv_sec: Int(whole), tv_nsec: Int((t - whole) * 1e9))
            var times = [time, time]
            let rc: CInt
            if let name = resolved.name {
                rc = utimensat(resolved.directory.fd, name, &times, AT_SYMLINK_NOFOLLOW)
            } else {
                // The directory itself, held as an O_PATH descriptor, which futimens does not take: reopen it.
                let fd = resolved.open(O_RDONLY | O_DIRECTORY)
                guard fd >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
                defer { close(fd) }
                rc = futimens(fd, &times)
            }
            guard rc == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func setPermissions(_ path: FTPPath, to mode: UInt16) async throws {
        guard mode <= 0o777 else { throw FTPStorageError(.invalidName, "\(path): only permission bits (000-777) can be set") }
        try await self.run {
            let resolved = try self.resolve(path, followFinal: true)
            // Not the root: a user who took its bits away would lock every session out of it.
            guard !path.components.isEmpty else { throw FTPStorageError(.permissionDenied, path.description) }
            guard let name = resolved.name else {
                // A link to a directory that ends the path, held as an O_PATH descriptor, which fchmod does not
                // take: reopen it.
                let fd = resolved.open(O_RDONLY | O_DIRECTORY)
                guard fd >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
                defer { close(fd) }
                guard fchmod(fd, mode_t(mode)) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
                return
            }
            // Never through a link at `name`: one swapped in after resolution fails (EOPNOTSUPP) instead of having
            // its target's mode changed, wherever that lies. glibc does this on the entry opened with O_PATH.
            guard fchmodat(resolved.directory.fd, name, mode_t(mode), AT_SYMLINK_NOFOLLOW) == 0 else {
                let code = errno
                throw code == EOPNOTSUPP || code == ENOTSUP
                    ? FTPStorageError(.permissionDenied, path.description) : FTPStorageError.fromErrno(code, path)
            }
        }
    }

    public func availableSpace(at path: FTPPath) async throws -> UInt64? {
        try await self.run {
            let resolved = try self.resolve(path, followFinal: true)
            var s = statvfs()
            guard fstatvfs(resolved.directory.fd, &s) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
            return UInt64(s.f_bavail) * UInt64(s.f_frsize)
        }
    }
}

extension FTPStorageError {
    static func fromErrno(_ code: Int32, _ path: FTPPath) -> FTPStorageError {
        let p = path.description
        switch code {
        case ENOENT: return FTPStorageError(.notFound, p)
        case EEXIST: return FTPStorageError(.alreadyExists, p)
        case ENOTDIR: return FTPStorageError(.notADirectory, p)
        case EISDIR: return FTPStorageError(.isADirectory, p)
        case ENOTEMPTY: return FTPStorageError(.directoryNotEmpty, p)
        case EACCES, EPERM, EROFS: return FTPStorageError(.permissionDenied, p)
        case ELOOP: return FTPStorageError(.outsideRoot, p)
        case ENAMETOOLONG, EINVAL: return FTPStorageError(.invalidName, p)
        case ENOSPC, EDQUOT: return FTPStorageError(.insufficientSpace, p)
        default: return FTPStorageError(.io, "\(p): \(String(cString: strerror(code)))")
        }
    }
}
