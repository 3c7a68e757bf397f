public import Foundation

/// One entry of a directory listing, as far as the server's format tells.
public struct FTPListEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file
        case directory
        case symbolicLink(target: String?)
        /// Devices, sockets, and other special entries.
        case other
        /// The line could not be understood; `name` holds it verbatim.
        case unparsed
    }

    public var name: String
    public var kind: Kind
    public var size: UInt64?
    public var modified: Date?
    /// Unix mode letters (`rwxr-xr-x`) or RFC 3659 `perm` letters, when the server gave them.
    public var permissions: String?
    /// The line as the server sent it.
    public var raw: String

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

    public var isDirectory: Bool { self.kind == .directory }
    public var isFile: Bool { self.kind == .file }
}
