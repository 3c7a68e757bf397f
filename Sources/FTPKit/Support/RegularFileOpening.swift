#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
package import Darwin
#endif

/// Opens a name as a regular file without ever waiting on something that is not one.
///
/// A plain `open(2)` of a FIFO waits for its partner (a writer for a read-only open, a reader for a write-only
/// one), and a device's open may wait on the hardware. On one of the few threads file work shares, one such wait
/// stalls everything queued behind it. The open here is `O_NONBLOCK`, so it returns at once (or fails with `ENXIO`
/// for a FIFO without a reader); what it opened is checked to be a regular file, and only then set back to
/// blocking, which is how regular files are read and written.
package enum RegularFileOpening {
    /// What an open found.
    package enum Outcome {
        /// A regular file, open and blocking, with its status. The caller owns the descriptor.
        case opened(fd: CInt, stat: stat)
        /// The open failed with this `errno` (`ENOENT`, `EACCES`, `ELOOP` for a link under `O_NOFOLLOW`…).
        case failed(errno: CInt)
        /// The name is a directory (nothing was left open).
        case directory
        /// The name is a FIFO, socket or device (nothing was left open).
        case special
    }

    /// Opens `name` relative to `directory` (`AT_FDCWD` for the working directory) with `flags`, adding
    /// `O_NONBLOCK` and `O_CLOEXEC`.
    package static func open(at directory: CInt, _ name: String, flags: CInt, mode: mode_t = 0) -> Outcome {
        let fd = openat(directory, name, flags | O_NONBLOCK | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            // A write-only open of a FIFO nobody reads fails rather than waits: it is not a file either way.
            return code == ENXIO ? .special : .failed(errno: code)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            return .failed(errno: code)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            return .opened(fd: fd, stat: st)
        case S_IFDIR:
            close(fd)
            return .directory
        default:
            close(fd)
            return .special
        }
    }
}
