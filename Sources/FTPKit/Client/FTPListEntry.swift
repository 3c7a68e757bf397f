public import Foundation

/// One entry of a directory listing, as far as the server's format tells.
public struct FTPListEntry: Sendable, Hashable {
    /// What an entry is, as far as the listing says.
    public enum Kind: Sendable, Hashable {
        case file
        case directory
        case symbolicLink(target: String?)
        /// Devices, sockets, and other special entries.
        case other
        /// The line could not be understood; `name` holds it verbatim.
        case unparsed
    }

    /// The entry's name (for a link in `LIST` output, without ` -> target`).
    public var name: String
    /// File, directory, link, other, or a line not understood.
    public var kind: Kind
    /// The size in bytes, when the listing gave it.
    public var size: UInt64?
    /// The modification time, when the listing gave it (MLSD's is UTC; `LIST`'s is as precise as its format).
    public var modified: Date?
    /// Unix mode letters (`rwxr-xr-x`) or RFC 3659 `perm` letters, when the server gave them.
    public var permissions: String?
    /// The line as the server sent it.
    public var raw: String

    /// An entry with what is known of it.
    public init(
        name: String, kind: Kind, size: UInt64? = nil, modified: Date? = nil, permissions: String? = nil, raw: String
    ) {
        self.name = name
        self.kind = kind
        self.size = size
        self.modified = modified
        self.permissions = permissions
        self.raw = raw
    }

    /// Whether the entry is a directory.
    public var isDirectory: Bool { self.kind == .directory }
    /// Whether the entry is a plain file.
    public var isFile: Bool { self.kind == .file }
}
