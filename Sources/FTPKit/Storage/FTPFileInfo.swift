public import Foundation

/// What the server knows about one file or directory: enough for `LIST`, `MLSD`, `SIZE` and `MDTM`.
public struct FTPFileInfo: Sendable, Hashable {
    /// What an entry is. A symbolic link is reported as such when the storage does not follow it (``LocalFileStorage``:
    /// a link that leads out of the root).
    public enum Kind: Sendable, Hashable {
        case file, directory, symbolicLink
        /// A FIFO, socket or device (put in a ``LocalFileStorage``'s root by something other than FTP): listed as `ls`
        /// shows it, `letter` being its type letter (`p`, `s`, `c` or `b`), and never transferred.
        case special(letter: Character)

        /// Whether the size is a number of bytes a download would send: a FIFO's or device's is not (downloads
        /// refuse them), and a directory's is the storage's own figure. `SIZE` and MLSD's `size` fact show only these.
        package var hasByteSize: Bool { self == .file || self == .symbolicLink }
    }

    /// The entry's name in its directory.
    public var name: String
    /// File, directory, link, or something else.
    public var kind: Kind
    /// The size in bytes (for a directory, what the storage reports).
    public var size: UInt64
    /// The last modification time.
    public var modified: Date
    /// POSIX permission bits (`0o644`…), shown in `LIST` and used for the `perm` fact.
    public var mode: UInt16
    /// A value that identifies the object within the storage (device and inode for local files), for the `unique` fact.
    public var uniqueID: String?

    /// An entry as a storage reports it.
    public init(
        name: String, kind: Kind, size: UInt64, modified: Date, mode: UInt16 = 0o644, uniqueID: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.size = size
        self.modified = modified
        self.mode = mode
        self.uniqueID = uniqueID
    }
}

/// How `openForWriting` treats existing content.
public enum FTPWriteMode: Sendable, Hashable {
    /// `STOR`: the new content replaces the file when the transfer is committed.
    case replace
    /// `REST n` + `STOR`: keep the first `n` bytes of the existing file and write from there.
    case replaceFrom(offset: UInt64)
    /// `APPE`: add to the end of the existing file (or create it).
    case append
}
