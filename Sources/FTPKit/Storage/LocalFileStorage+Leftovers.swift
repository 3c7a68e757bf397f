#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LocalFileStorage {
    /// Removes the temporary files of uploads whose process died (`kill -9`, a crash) and undoes their in-place
    /// uploads (`APPE`: the file is cut back to its size before the upload), and says what it did, so the caller
    /// can log it.
    ///
    /// A live upload holds a lock on its temporary file (``LocalWriteHandle``), released by the kernel when its
    /// process ends; a temporary file whose lock can be taken is therefore a leftover, even with other servers
    /// serving the same root, whose uploads in progress stay untouched. The walk goes through directory
    /// descriptors and never follows links, like every other operation.
    public func removeAbandonedUploads() async throws -> [AbandonedUpload] {
        try await self.run {
            var removed: [AbandonedUpload] = []
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
                    case S_IFREG where Self.isTemporaryName(name):
                        if let undo = Self.removeIfAbandoned(directory: fd, name: name, in: path) {
                            removed.append(AbandonedUpload(path: path.appending(name), undo: undo))
                        }
                    default:
                        continue
                    }
                }
            }
            return removed.sorted()
        }
    }

    /// Removes `name` when no process holds its upload lock, after undoing the append its journal describes; the
    /// lock is held across both, so an upload cannot start using the name in between (it could not anyway:
    /// temporary names are created exclusively).
    private static func removeIfAbandoned(directory: CInt, name: String, in path: FTPPath) -> AbandonedUpload.Undo? {
        let fd = Glibc.openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return nil }
        // The same file still has that name (not replaced between the open and the lock).
        var mine = stat()
        var named = stat()
        guard fstat(fd, &mine) == 0, fstatat(directory, name, &named, AT_SYMLINK_NOFOLLOW) == 0,
            mine.st_ino == named.st_ino, mine.st_dev == named.st_dev
        else { return nil }
        var undo = AbandonedUpload.Undo.removedTemporaryFile
        if name.utf8.starts(with: AppendJournal.prefix.utf8) {
            var bytes = [UInt8](repeating: 0, count: 4097)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            // A journal cut short by the crash was written before any byte was appended: nothing to undo.
            if n > 0, let journal = AppendJournal(decoding: bytes.prefix(n)) {
                undo = Self.undo(journal, directory: directory, in: path)
            }
        }
        return unlinkat(directory, name, 0) == 0 ? undo : nil
    }

    /// Cuts the journal's file back (or removes it when the upload created it) — only if the name still leads to
    /// the very file the upload wrote (same device and inode, a regular file, reached without following a link).
    private static func undo(_ journal: AppendJournal, directory: CInt, in path: FTPPath) -> AbandonedUpload.Undo {
        let file = path.appending(journal.name)
        guard case .opened(let target, let st) = RegularFileOpening.open(at: directory, journal.name, flags: O_WRONLY | O_NOFOLLOW)
        else { return .fileGone(file) }
        defer { close(target) }
        guard UInt64(st.st_dev) == journal.device, UInt64(st.st_ino) == journal.inode else { return .fileGone(file) }
        if journal.created {
            // Unlink by name only while the name still holds that inode.
            var named = stat()
            guard fstatat(directory, journal.name, &named, AT_SYMLINK_NOFOLLOW) == 0, named.st_ino == st.st_ino,
                named.st_dev == st.st_dev, unlinkat(directory, journal.name, 0) == 0
            else { return .fileGone(file) }
            return .removedCreatedFile(file)
        }
        if UInt64(st.st_size) > journal.originalSize { _ = ftruncate(target, off_t(journal.originalSize)) }
        return .truncated(file: file, toSize: journal.originalSize)
    }
}
