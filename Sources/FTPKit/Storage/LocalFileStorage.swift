public import Foundation
import NIOCore
public import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stores files in a local directory. Every path is confined to that directory: `..` is resolved before it gets
/// here, and symbolic links whose target lies outside the root are refused.
///
/// Blocking system calls run on a `NIOThreadPool`, never on an event loop. Uploads go to a hidden temporary file
/// next to the target and are renamed into place on commit, so readers never see a partial file.
public struct LocalFileStorage: FTPStorage {
    /// The real (symlink-free) path of the root directory.
    public let root: String
    /// Flush uploaded data to disk before a commit reports success (slower; survives power loss).
    public var syncOnCommit: Bool
    let threadPool: NIOThreadPool

    static let temporaryPrefix = ".seed-upload-"

    /// - Parameter root: an existing directory.
    public init(root: String, syncOnCommit: Bool = false, threadPool: NIOThreadPool = .singleton) throws {
        guard let real = realpath(root, nil) else {
            throw FTPStorageError(.notFound, "storage root \(root)")
        }
        defer { free(real) }
        self.root = String(cString: real)
        var st = stat()
        guard stat(self.root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FTPStorageError(.notADirectory, "storage root \(root)")
        }
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

    // MARK: - Path confinement

    func isInsideRoot(_ real: String) -> Bool {
        real == self.root || real.hasPrefix(self.root == "/" ? "/" : self.root + "/")
    }

    /// Maps a virtual path to a real one. The parent directory is resolved through `realpath` and must lie in the
    /// root; when `followFinal` is set a final symbolic link is resolved and checked too.
    func realPath(_ path: FTPPath, followFinal: Bool) throws -> String {
        if path.isRoot { return self.root }
        let parentVirtual = self.root + path.parent.components.map { "/" + $0 }.joined()
        guard let resolved = realpath(parentVirtual, nil) else {
            throw FTPStorageError.fromErrno(errno, path.parent)
        }
        let parent = String(cString: resolved)
        free(resolved)
        guard self.isInsideRoot(parent) else { throw FTPStorageError(.outsideRoot, path.description) }
        let candidate = (parent == "/" ? "" : parent) + "/" + path.name
        guard followFinal else { return candidate }
        var st = stat()
        if lstat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            guard let target = realpath(candidate, nil) else { throw FTPStorageError(.notFound, path.description) }
            defer { free(target) }
            let real = String(cString: target)
            guard self.isInsideRoot(real) else { throw FTPStorageError(.outsideRoot, path.description) }
            return real
        }
        return candidate
    }

    static func info(name: String, st: stat, kind: FTPFileInfo.Kind? = nil) -> FTPFileInfo {
        let type = st.st_mode & S_IFMT
        let k: FTPFileInfo.Kind = kind ?? (type == S_IFDIR ? .directory : type == S_IFLNK ? .symbolicLink : .file)
        let seconds = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        return FTPFileInfo(
            name: name, kind: k, size: UInt64(max(0, st.st_size)),
            modified: Date(timeIntervalSince1970: seconds), mode: UInt16(st.st_mode & 0o7777),
            uniqueID: String(UInt64(st.st_dev), radix: 16) + "U" + String(UInt64(st.st_ino), radix: 16))
    }

    // MARK: - FTPStorage

    public func info(at path: FTPPath) async throws -> FTPFileInfo {
        try await self.run {
            let real = try self.realPath(path, followFinal: true)
            var st = stat()
            guard stat(real, &st) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
            return Self.info(name: path.name, st: st)
        }
    }

    public func list(directory path: FTPPath) async throws -> [FTPFileInfo] {
        try await self.run {
            let real = try self.realPath(path, followFinal: true)
            guard let dir = opendir(real) else { throw FTPStorageError.fromErrno(errno, path) }
            defer { closedir(dir) }
            let fd = dirfd(dir)
            var entries: [FTPFileInfo] = []
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                }
                if name == "." || name == ".." || name.hasPrefix(Self.temporaryPrefix) { continue }
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFLNK {
                    // Show a link as what it points to when that stays inside the root, else as a bare link.
                    if let target = try? self.realPath(path.appending(name), followFinal: true) {
                        var tst = stat()
                        if stat(target, &tst) == 0 {
                            entries.append(Self.info(name: name, st: tst))
                            continue
                        }
                    }
                    entries.append(Self.info(name: name, st: st, kind: .symbolicLink))
                    continue
                }
                entries.append(Self.info(name: name, st: st))
            }
            return entries.sorted { $0.name < $1.name }
        }
    }

    public func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        try await self.run {
            let real = try self.realPath(path, followFinal: true)
            let fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
            var st = stat()
            guard fstat(fd, &st) == 0 else {
                let e = errno
                close(fd)
                throw FTPStorageError.fromErrno(e, path)
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw FTPStorageError(.isADirectory, path.description)
            }
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

    public func remove(_ path: FTPPath) async throws {
        try await self.run {
            let real = try self.realPath(path, followFinal: false)
            var st = stat()
            guard lstat(real, &st) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
            if (st.st_mode & S_IFMT) == S_IFDIR { throw FTPStorageError(.isADirectory, path.description) }
            guard unlink(real) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func rename(_ from: FTPPath, to: FTPPath) async throws {
        try await self.run {
            guard !from.isRoot, !to.isRoot else { throw FTPStorageError(.permissionDenied, "/") }
            if from.contains(to), from != to { throw FTPStorageError(.invalidName, "\(to) is inside \(from)") }
            let source = try self.realPath(from, followFinal: false)
            let target = try self.realPath(to, followFinal: false)
            var st = stat()
            guard lstat(source, &st) == 0 else { throw FTPStorageError.fromErrno(errno, from) }
            guard Glibc.rename(source, target) == 0 else { throw FTPStorageError.fromErrno(errno, to) }
        }
    }

    public func makeDirectory(_ path: FTPPath) async throws {
        try await self.run {
            guard !path.isRoot else { throw FTPStorageError(.alreadyExists, "/") }
            let real = try self.realPath(path, followFinal: false)
            guard mkdir(real, 0o755) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func removeDirectory(_ path: FTPPath) async throws {
        try await self.run {
            guard !path.isRoot else { throw FTPStorageError(.permissionDenied, "/") }
            let real = try self.realPath(path, followFinal: false)
            guard rmdir(real) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
        }
    }

    public func setModificationTime(_ path: FTPPath, to date: Date) async throws {
        try await self.run {
            let real = try self.realPath(path, followFinal: true)
            let t = date.timeIntervalSince1970
            let whole = t.rounded(.down)
            var times = [
                timespec(tv_sec: Int(whole), tv_nsec: Int((t - whole) * 1e9)),
                timespec(tv_sec: Int(whole), tv_nsec: Int((t - whole) * 1e9)),
            ]
            guard utimensat(AT_FDCWD, real, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPStorageError.fromErrno(errno, path)
            }
        }
    }

    public func availableSpace(at path: FTPPath) async throws -> UInt64? {
        try await self.run {
            let real = try self.realPath(path, followFinal: true)
            var s = statvfs()
            guard statvfs(real, &s) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
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
