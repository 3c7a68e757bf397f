package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a small file whole: the new content goes into a new file beside it, flushed to disk, then renamed over
/// it, so a crash or a reader (a server reloading on SIGHUP) never sees half a file.
///
/// Foundation's atomic write does the same but gives the new file the umask's mode (0644 here): a users file of
/// password hashes came out readable by everyone, and an operator's `chmod 600` was undone by the next change. Here
/// the file keeps the mode (and, where permitted, the owner) of the one it replaces, and a new file gets
/// `newFileMode`. A path that is a symbolic link keeps being one: the file it leads to is replaced.
package enum FileReplacement {
    /// Writes `data` to `path`; returns why it failed, in a few words, or nil.
    package static func replace(_ link: String, with data: Data, newFileMode: mode_t = 0o600) -> String? {
        // A link to the file (/etc/seed/users.json) stays a link: the file it names is the one replaced.
        let path = URL(fileURLWithPath: link).resolvingSymlinksInPath().path
        var existing = stat()
        let exists = stat(path, &existing) == 0
        let mode = exists ? existing.st_mode & 0o7777 : newFileMode
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        var temporary = ""
        var fd: CInt = -1
        for _ in 0..<8 {
            temporary = (directory.isEmpty ? "" : directory + "/") + ".\(base).\(UInt32.random(in: 0...UInt32.max))"
            // 0600 from the start: the content is never readable by others, even for a moment.
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure: Int32 = 0
        if exists && getuid() == 0 { _ = fchown(fd, existing.st_uid, existing.st_gid) }
        if fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0 { failure = data.withUnsafeBytes { writeAll(fd, $0) } }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            return String(cString: strerror(failure))
        }
        return nil
    }
}
