import Foundation
import Synchronization

/// Keeps an SQLite catalog to one process at a time.
///
/// ``SQLiteCatalogStore`` follows no change feed: a process works from its copy of the catalog in memory and writes
/// it through. A second process on the same file (a second bot, or `ftpbot drain` beside a running bot) would leave
/// each with a stale copy: the first would keep placing files on a node the second drained, and its repair would
/// write its old records over the second's. So each open store holds an exclusive `flock(2)` on `PATH.lock`, which
/// the kernel drops when the process ends however it ends, and a second open is refused with the holder's pid.
/// (Processes that share a catalog use ``PostgresCatalogStore``.) A separate file, not the database itself: closing
/// any descriptor of the database file would drop SQLite's own POSIX locks on it.
final class CatalogFileLock: Sendable {
    /// The lock file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>

    /// Takes the lock of the catalog at `catalogPath`, or throws ``ClusterError/Code/catalogInUse`` naming the
    /// process that holds it.
    init(catalogPath: String) throws(ClusterError) {
        let path = catalogPath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            // Where the lock file cannot be made, neither can the catalog (a missing or read-only directory).
            throw ClusterError(.catalogUnavailable, "cannot open the catalog \(catalogPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = Self.recordedProcess(fd)
            close(fd)
            guard failure == EWOULDBLOCK else {
                throw ClusterError(.catalogUnavailable, "cannot lock the catalog \(catalogPath): \(String(cString: strerror(failure)))")
            }
            let who = holder == getpid() ? "is open already in this process" : "is in use by another process"
                + (holder.map { " (pid \($0))" } ?? "")
            throw ClusterError(.catalogInUse, "the catalog \(catalogPath) \(who); an SQLite catalog serves one process at a time")
        }
        // Who holds it, for the next process's message; the lock itself is the flock, not this content.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.descriptor = Mutex(fd)
    }

    /// The pid the holder wrote into the lock file, if it reads as one.
    private static func recordedProcess(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Lets another process open the catalog (also done when the lock is freed).
    func release() {
        self.descriptor.withLock { fd in
            guard fd >= 0 else { return }
            // Unlocked before closing: a child process being spawned at this moment holds a copy of the descriptor
            // until its exec closes it, and would keep the lock that long after our close alone.
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { self.release() }
}
