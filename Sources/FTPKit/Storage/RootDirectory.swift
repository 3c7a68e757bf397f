import CLinuxShims
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open directory (or `O_PATH`) descriptor, closed when the last reference goes away.
final class DirectoryDescriptor: Sendable {
    let fd: CInt

    init(_ fd: CInt) { self.fd = fd }

    deinit { close(self.fd) }
}

/// Where a path led: the directory holding its last entry, as a descriptor, and that entry's name, or `nil` when
/// the path names the directory itself (the root, or a link to a directory that ends the path).
///
/// Operations use the `*at` system calls on `directory` with `name` and never follow a symbolic link at `name`
/// (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`, `unlinkat`, `renameat`): a link swapped in after resolution fails the
/// operation instead of leading it out of the root.
struct ResolvedPath {
    let directory: DirectoryDescriptor
    let name: String?

    /// The entry's status, not following a link at `name`.
    func status() -> (stat, errno: CInt) {
        var st = stat()
        let rc = self.name.map { fstatat(self.directory.fd, $0, &st, AT_SYMLINK_NOFOLLOW) }
            ?? fstatat(self.directory.fd, "", &st, SEED_AT_EMPTY_PATH)
        return (st, rc == 0 ? 0 : errno)
    }

    /// Opens the entry itself (never through a link at `name`); -1 and `errno` on failure.
    func open(_ flags: CInt, mode: mode_t = 0) -> CInt {
        Glibc.openat(self.directory.fd, self.name ?? ".", flags | O_NOFOLLOW | O_CLOEXEC, mode)
    }

    /// Opens the entry as a regular file (created by `flags` if they say so) and returns it with its status.
    ///
    /// The open never waits (see ``RegularFileOpening``): a FIFO's open would hold one of the few file threads every
    /// session shares for good (two `RETR fifo` stalled every file operation of the server). Anything but a regular
    /// file is refused with ``FTPStorageError/Code/notAFile``.
    func openRegularFile(_ flags: CInt, mode: mode_t = 0, path: FTPPath) throws(FTPStorageError) -> (fd: CInt, stat: stat) {
        switch RegularFileOpening.open(at: self.directory.fd, self.name ?? ".", flags: flags | O_NOFOLLOW, mode: mode) {
        case .opened(let fd, let st): return (fd, st)
        case .failed(let code): throw FTPStorageError.fromErrno(code, path)
        case .directory: throw FTPStorageError(.isADirectory, path.description)
        case .special: throw FTPStorageError(.notAFile, path.description)
        }
    }
}

/// The storage root held open, and the resolution of paths beneath it that holds while anything with write access
/// inside the root renames directories or swaps them for symbolic links.
///
/// Resolution never hands the kernel a path it could follow out of the root. Where the kernel has `openat2(2)`
/// (Linux 5.6) the parent directory is opened in one call with `RESOLVE_BENEATH`, which fails rather than leave the
/// root. Otherwise — and for what `RESOLVE_BENEATH` refuses but the policy allows, such as an absolute link that
/// points inside the root — each component is opened from its parent's descriptor with `O_NOFOLLOW`, and a link
/// is read and its target walked the same way, from descriptors, so no component is ever looked up by a path
/// that someone could change between a check and a use.
///
/// Symbolic links (see `Docs/ftpd.md`): a link whose target stays inside the root is followed, relative or
/// absolute; one that leaves the root (by `..` above it or an absolute path elsewhere) is refused with
/// ``FTPStorageError/Code/outsideRoot``, as are chains longer than 40 links. Links are never followed by
/// operations on the link itself (`DELE`, `RNFR`/`RNTO`, `RMD`): those act on the link.
final class RootDirectory: Sendable {
    /// The root's real path, used only to recognise absolute links that point inside it.
    let path: String
    let descriptor: DirectoryDescriptor
    /// Cleared for good after `openat2` answers `ENOSYS`; tests clear it to exercise the component walk.
    private let openat2Enabled: Atomic<Bool>

    static let maximumLinks = 40

    init(path: String, useOpenat2: Bool = true) throws(FTPStorageError) {
        let fd = Glibc.open(path, SEED_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let failure = errno
            throw FTPStorageError(failure == ENOTDIR ? .notADirectory : .notFound,
                                  "storage root \(path): \(String(cString: strerror(failure)))")
        }
        self.path = path
        self.descriptor = DirectoryDescriptor(fd)
        self.openat2Enabled = Atomic(useOpenat2)
    }

    /// Resolves `path` beneath the root. With `followFinal`, a symbolic link at the last component is followed
    /// (within the root); without, the result names the link itself.
    func resolve(_ path: FTPPath, followFinal: Bool) throws(FTPStorageError) -> ResolvedPath {
        guard let name = path.components.last else { return ResolvedPath(directory: self.descriptor, name: nil) }
        if self.openat2Enabled.load(ordering: .relaxed), let parent = try self.openParentBeneath(path) {
            guard followFinal else { return ResolvedPath(directory: parent, name: name) }
            var st = stat()
            if fstatat(parent.fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || (st.st_mode & S_IFMT) != S_IFLNK {
                return ResolvedPath(directory: parent, name: name)
            }
            // A final link: the walk follows it under the same policy.
        }
        return try self.walk(path, followFinal: followFinal)
    }

    /// The parent directory of `path` through `openat2(RESOLVE_BENEATH)`, or `nil` when the component walk must
    /// decide (no `openat2`, an absolute or escaping link, a concurrent rename the kernel asks to retry).
    private func openParentBeneath(_ path: FTPPath) throws(FTPStorageError) -> DirectoryDescriptor? {
        let parent = path.components.dropLast()
        if parent.isEmpty { return self.descriptor }
        let fd = seed_openat2(
            self.descriptor.fd, parent.joined(separator: "/"), UInt64(SEED_O_PATH | O_DIRECTORY | O_CLOEXEC), 0,
            UInt64(SEED_RESOLVE_BENEATH | SEED_RESOLVE_NO_MAGICLINKS))
        if fd >= 0 { return DirectoryDescriptor(fd) }
        let code = errno
        switch code {
        case ENOSYS, EPERM:
            // No openat2 in this kernel (or a seccomp filter refuses it): stop asking.
            self.openat2Enabled.store(false, ordering: .relaxed)
            return nil
        case EXDEV, ELOOP, EAGAIN, EINVAL, E2BIG:
            return nil
        default:
            throw FTPStorageError.fromErrno(code, path.parent)
        }
    }

    /// Resolves component by component from descriptors (see the type's documentation).
    private func walk(_ path: FTPPath, followFinal: Bool) throws(FTPStorageError) -> ResolvedPath {
        var stack = [self.descriptor]
        var pending = Array(path.components.reversed())
        var links = 0
        while let component = pending.popLast() {
            if component.isEmpty || component == "." { continue }
            if component == ".." {
                // Only link targets contain `..` (FTPPath has none): climbing above the root leaves it.
                guard stack.count > 1 else { throw FTPStorageError(.outsideRoot, path.description) }
                stack.removeLast()
                continue
            }
            let top = stack[stack.count - 1]
            let isLast = pending.isEmpty
            if isLast, !followFinal { return ResolvedPath(directory: top, name: component) }
            let fd = Glibc.openat(top.fd, component, SEED_O_PATH | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 {
                let code = errno
                // A missing last entry is what STOR and MKD create.
                if isLast, code == ENOENT { return ResolvedPath(directory: top, name: component) }
                throw FTPStorageError.fromErrno(code, path)
            }
            let entry = DirectoryDescriptor(fd)
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw FTPStorageError.fromErrno(errno, path) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                links += 1
                guard links <= Self.maximumLinks else { throw FTPStorageError(.outsideRoot, path.description) }
                let target = try Self.readLink(entry, path)
                // Split at every `/` scalar (not Character): `out/\u{301}x` is two components, never one that openat
                // would resolve by itself, following `out`.
                var parts = target.splitScalars(separator: "/")
                if target.utf8.first == UInt8(ascii: "/") {
                    let rootParts = self.path.splitScalars(separator: "/")
                    guard parts.starts(with: rootParts) else { throw FTPStorageError(.outsideRoot, path.description) }
                    parts.removeFirst(rootParts.count)
                    stack = [self.descriptor]
                }
                pending.append(contentsOf: parts.reversed())
            case S_IFDIR:
                if isLast { return ResolvedPath(directory: top, name: component) }
                stack.append(entry)
            default:
                if isLast { return ResolvedPath(directory: top, name: component) }
                throw FTPStorageError(.notADirectory, path.description)
            }
        }
        // The path ended on a directory reached through a link (to `.`, `..` or the root): it names that directory.
        return ResolvedPath(directory: stack[stack.count - 1], name: nil)
    }

    private static func readLink(_ link: DirectoryDescriptor, _ path: FTPPath) throws(FTPStorageError) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        // An O_PATH descriptor of the link itself with an empty path reads that link (Linux 2.6.39).
        let n = buffer.withUnsafeMutableBytes { raw in
            readlinkat(link.fd, "", raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard n >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }
}
