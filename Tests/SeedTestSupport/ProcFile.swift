import FTPKit

/// The whole text of a /proc file (or any file), or nil when it cannot be read: FTPKit's ``WholeFile``, which reads
/// to the end. Foundation's `String(contentsOfFile:)` stops after the first read, and the kernel hands a /proc file
/// out a page at a time (/proc/net/tcp read that way held 4,050 of its 125,250 bytes here).
public func procFileText(_ path: String) -> String? {
    try? WholeFile.text(path)
}
