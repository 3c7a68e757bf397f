import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One directory of a ``LocalFileStorage`` being listed: its sorted names and a descriptor of the directory they
/// were read from. Each batch's details are read with `fstatat` on that descriptor only when the listing asks for
/// them, so a directory of 200,000 files holds 200,000 names while it is sent, not 200,000 ``FTPFileInfo``s
/// (a quarter of the memory, `Docs/benchmarks.md`). An entry removed meanwhile is left out.
final class LocalDirectoryCursor: Sendable {
    /// Entries per trip to the file threads.
    static let batchSize = 1024

    private let descriptor: CInt
    private let names: [String]
    private let path: FTPPath
    private let storage: LocalFileStorage
    private let position = Mutex(0)

    /// Reads the names of the directory at `path`; blocking, for the file threads.
    init(storage: LocalFileStorage, path: FTPPath) throws(FTPStorageError) {
        let fd = try storage.resolve(path, followFinal: true).open(O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw FTPStorageError.fromErrno(errno, path) }
        // fdopendir takes the descriptor it is given; the copy is the one kept for fstatat.
        let readable = dup(fd)
        guard readable >= 0, let dir = fdopendir(readable) else {
            let code = errno
            if readable >= 0 { close(readable) }
            close(fd)
            throw FTPStorageError.fromErrno(code, path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." || name.hasPrefix(LocalFileStorage.temporaryPrefix) { continue }
            names.append(name)
        }
        names.sort()
        self.descriptor = fd
        self.names = names
        self.path = path
        self.storage = storage
    }

    deinit {
        close(self.descriptor)
    }

    /// Whether every name has been handed out.
    var isFinished: Bool {
        self.position.withLock { $0 == self.names.count }
    }

    /// The next batch's entries (fewer than a batch when some were removed meanwhile), or `nil` at the end;
    /// blocking, for the file threads.
    func nextBatch() -> [FTPFileInfo]? {
        let range: Range<Int> = self.position.withLock { position in
            let start = position
            position = min(self.names.count, start + Self.batchSize)
            return start..<position
        }
        guard !range.isEmpty else { return nil }
        var entries: [FTPFileInfo] = []
        entries.reserveCapacity(range.count)
        for name in self.names[range] {
            var st = stat()
            guard fstatat(self.descriptor, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                // Show a link as what it points to when that stays inside the root, else as a bare link.
                if let target = try? self.storage.status(self.path.appending(name)), (target.st_mode & S_IFMT) != S_IFLNK {
                    entries.append(LocalFileStorage.info(name: name, st: target))
                } else {
                    entries.append(LocalFileStorage.info(name: name, st: st, kind: .symbolicLink))
                }
                continue
            }
            entries.append(LocalFileStorage.info(name: name, st: st))
        }
        return entries
    }
}
