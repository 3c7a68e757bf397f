#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one version of a file from the next without reading it: the inode it is (a file replaced by rename,
/// as `ftpd user add` and most editors save, is a new one), its size and its modification time to the nanosecond.
package struct FileStamp: Sendable, Hashable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let seconds: Int
    let nanoseconds: Int

    /// The stamp of the file `path` leads to, or `nil` when it cannot be seen.
    package init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        self.device = UInt64(st.st_dev)
        self.inode = UInt64(st.st_ino)
        self.size = Int64(st.st_size)
        #if canImport(Darwin)
        self.seconds = st.st_mtimespec.tv_sec
        self.nanoseconds = st.st_mtimespec.tv_nsec
        #else
        self.seconds = st.st_mtim.tv_sec
        self.nanoseconds = st.st_mtim.tv_nsec
        #endif
    }
}
