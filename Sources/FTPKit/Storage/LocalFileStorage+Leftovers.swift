#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LocalFileStorage {
    /// Removes the temporary files of uploads whose process died (`kill -9`, a crash, a power cut) and returns
    /// their paths, so the caller can log them.
    ///
    /// A live upload holds a lock on its temporary file (``LocalWriteHandle``), released by the kernel when its
    /// process ends; a temporary file whose lock can be taken is therefore a leftover, even with other servers
    /// serving the same root, whose uploads in progress stay untouched. The walk goes through directory
    /// descriptors and never follows links, like every other operation.
    public func removeAbandonedUploads() async throws -> [FTPPath] {
        try await self.run {
            var removed: [FTPPath] = []
            // Directories still to read, each opened from its parent's descriptor when its turn comes: only the
            // descriptors of the directories on the current branch stay open, however wide the tree is.
            var pending: [(parent: DirectoryDescriptor?, path: FTPPath)] = [(nil, .root)]
            while let (parent, path) = pending.popLast() {
                let directory: DirectoryDescriptor
                if let parent {
                    let child = Glibc.openat(parent.fd, path.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard child >= 0 else { continue }
                    directory = DirectoryDescriptor(child)
                } else {
                    directory = self.directory.descriptor
                }
                let fd = Glibc.openat(directory.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0, let stream = fdopendir(fd) else {
                    if fd >= 0 { close(fd) }
                    continue
                }
                defer { closedir(stream) }
                while let entry = readdir(stream) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                    }
                    if name == "." || name == ".." { continue }
                    var st = stat()
                    guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR:
                        // Bounded: a directory tree deeper than this is not one ftpd made.
                        if path.components.count < 64 { pending.append((directory, path.appending(name))) }
                    case S_IFREG where name.hasPrefix(Self.temporaryPrefix):
                        if Self.removeIfAbandoned(directory: fd, name: name) { removed.append(path.appending(name)) }
                    default:
                        continue
                    }
                }
            }
            return removed.sorted()
        }
    }

    /// Removes `name` when no process holds its upload lock; the lock is held across the removal, so an upload
    /// cannot start using the name in between (it could not anyway: temporary names are created exclusively).
    private static func removeIfAbandoned(directory: CInt, name: String) -> Bool {
        let fd = Glibc.openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        // The same file still has that name (not replaced between the open and the lock).
        var mine = stat()
        var named = stat()
        guard fstat(fd, &mine) == 0, fstatat(directory, name, &named, AT_SYMLINK_NOFOLLOW) == 0,
            mine.st_ino == named.st_ino, mine.st_dev == named.st_dev
        else { return false }
        return unlinkat(directory, name, 0) == 0
    }
}
