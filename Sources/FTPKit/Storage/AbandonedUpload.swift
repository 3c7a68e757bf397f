/// What ``LocalFileStorage/removeAbandonedUploads()`` cleaned up after a process that died mid-upload.
public struct AbandonedUpload: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// What was done about one leftover.
    public enum Undo: Sendable, Hashable {
        /// A hidden temporary file (a `STOR` never committed): removed; no visible file changed.
        case removedTemporaryFile
        /// An in-place upload (`APPE`, or `REST` + `STOR` at the end) into `file`: cut back to the size it had
        /// before, so the bytes of the upload that never finished are gone.
        case truncated(file: FTPPath, toSize: UInt64)
        /// An in-place upload that had created `file`: removed.
        case removedCreatedFile(FTPPath)
        /// An in-place upload whose file was since removed, renamed or replaced: nothing to undo.
        case fileGone(FTPPath)
    }

    /// The leftover's own (hidden) path, removed.
    public var path: FTPPath
    /// What was done about it.
    public var undo: Undo

    /// A record of `undo` done for the leftover at `path`.
    public init(path: FTPPath, undo: Undo) {
        self.path = path
        self.undo = undo
    }

    /// Orders by the leftover's path.
    public static func < (a: Self, b: Self) -> Bool { a.path < b.path }

    public var description: String {
        switch self.undo {
        case .removedTemporaryFile: "removed \(self.path)"
        case .truncated(let file, let size): "cut \(file) back to \(size) bytes (\(self.path))"
        case .removedCreatedFile(let file): "removed \(file), created by the upload (\(self.path))"
        case .fileGone(let file): "\(file) was gone or replaced; removed \(self.path)"
        }
    }
}
