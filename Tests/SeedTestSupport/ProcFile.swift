import Foundation

/// The whole text of a /proc file (or any file), or nil when it cannot be read. Foundation's
/// `String(contentsOfFile:)` stops after the first read, and the kernel hands a /proc file out a page at a time:
/// /proc/net/tcp read that way held 4,050 of its 125,250 bytes here, and a container's /proc/self/mountinfo can pass a
/// page too.
public func procFileText(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    do {
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)  // nil: already at its end (empty)
    } catch {
        return nil
    }
}
