import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One directory of a ``LocalFileStorage`` being listed: its sorted names and a descriptor of the directory they
/// were read from. Each batch's details are read with `fstatat` on that descriptor only when the listing asks for
/// them, so a directory of 200,000 files holds 200,000 names while it is sent, not 200,000 ``FTPFileInfo``s
/// (+9 MiB for the listing against +22, `Docs/benchmarks.md`). An entry removed meanwhile is left out.
final class LocalDirectoryCursor: Sendable {
    /// Entries per trip to the file threads.
    static let batchSize = 1024

    /// Where one name lies in ``bytes`` (8 bytes a name: a directory's names stay far below 4 GiB).
    private struct Span {
        var start: UInt32
        var count: UInt32

        var range: Range<Int> { Int(self.start)..<Int(self.start) + Int(self.count) }
    }

    /// The directory's descriptor, closed (-1) once the last batch is read: the listing's last reference may be
    /// dropped on another thread a moment later, and the descriptor should not wait for it.
    private let descriptor: Mutex<CInt>
    /// Every name's bytes one after another, and where each lies, in byte order (as `ls` sorts in the C locale):
    /// one buffer for 200,000 names, where an array of Strings allocated one per name longer than 15 bytes
    /// (+19 MB for names of 16, `Docs/benchmarks.md`).
    private let bytes: [UInt8]
    private let spans: [Span]
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
        var bytes: [UInt8] = []
        var spans: [Span] = []
        let hidden = Array(LocalFileStorage.temporaryPrefix.utf8)
        while let entry = readdir(dir) {
            withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { cName in
                    let name = UnsafeRawBufferPointer(start: cName, count: strlen(cName))
                    if name.elementsEqual(".".utf8) || name.elementsEqual("..".utf8) || name.starts(with: hidden) { return }
                    guard bytes.count + name.count <= UInt32.max else { return }  // past 4 GiB of names: not listed
                    spans.append(Span(start: UInt32(bytes.count), count: UInt32(name.count)))
                    bytes.append(contentsOf: name)
                }
            }
        }
        bytes.withUnsafeBufferPointer { all in
            spans.sort { a, b in
                UnsafeBufferPointer(rebasing: all[a.range]).lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: all[b.range]))
            }
        }
        self.descriptor = Mutex(fd)
        self.bytes = bytes
        self.spans = spans
        self.path = path
        self.storage = storage
    }

    deinit {
        self.closeDescriptor()
    }

    private func closeDescriptor() {
        self.descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// Whether every name has been handed out.
    var isFinished: Bool {
        self.position.withLock { $0 == self.spans.count }
    }

    /// The next batch's entries (fewer than a batch when some were removed meanwhile), or `nil` at the end;
    /// blocking, for the file threads.
    func nextBatch() -> [FTPFileInfo]? {
        let range: Range<Int> = self.position.withLock { position in
            let start = position
            position = min(self.spans.count, start + Self.batchSize)
            return start..<position
        }
        guard !range.isEmpty else { return nil }
        defer { if range.upperBound == self.spans.count { self.closeDescriptor() } }
        let descriptor = self.descriptor.withLock { $0 }
        var entries: [FTPFileInfo] = []
        entries.reserveCapacity(range.count)
        for span in self.spans[range] {
            // Names that are not UTF-8 become Strings that name nothing on disk: the stat below leaves them out,
            // as no FTP command could name them either.
            let name = String(decoding: self.bytes[span.range], as: UTF8.self)
            var st = stat()
            guard fstatat(descriptor, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
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
