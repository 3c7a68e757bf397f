/// A private namespace of files: a Discord server's, a person's direct messages, the console's, or several servers
/// joined on purpose. On every node a space is a directory of the cluster's directory, named as the space, so
/// operators can read the layout; the catalog records each file's space.
public struct Space: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The directory name on the nodes, and the key in the catalog.
    public let name: String

    /// `nil` when `name` cannot name a space (see ``isValid(_:)``).
    public init?(_ name: String) {
        guard Self.isValid(name) else { return nil }
        self.name = name
    }

    /// The files that were at the top of the cluster's directory before spaces existed. Only migration and
    /// maintenance use it: no front end maps a caller to it.
    static let topLevel = Space(unchecked: "")

    /// A space as a catalog stores it: a valid name, or "" for the top level (where replicas from before spaces
    /// lie).
    package static func stored(_ name: String) -> Space? { name.isEmpty ? .topLevel : Space(name) }

    private init(unchecked name: String) { self.name = name }

    /// ASCII letters, digits, `.`, `_` and `-`, 1–64 of them, starting with a letter or digit: safe as a directory
    /// name on every file system and FTP server, and never `.` or `..`.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func allowed(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        return allowed(first) && name.utf8.allSatisfy { allowed($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// The console's space.
    public static let console = Space(unchecked: "console")
    /// Where files from before spaces go when no Discord server is configured.
    public static let `default` = Space(unchecked: "default")

    /// A Discord server's own space.
    public static func guild(_ id: String) -> Space? { Space("guild-" + id) }
    /// One person's direct messages with the bot.
    public static func directMessages(_ userID: String) -> Space? { Space("dm-" + userID) }

    public var description: String { self.name }
    /// Orders spaces by name.
    public static func < (a: Space, b: Space) -> Bool { a.name < b.name }
}

/// A file's identity in the cluster: its plain name inside its space.
public struct FileKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The space the file is in.
    public var space: Space
    /// The file's plain name in that space.
    public var name: String

    /// The key of `name` in `space`.
    public init(_ space: Space, _ name: String) {
        self.space = space
        self.name = name
    }

    public var description: String { self.space.name.isEmpty ? self.name : "\(self.space.name)/\(self.name)" }
    /// Orders by space, then by name.
    public static func < (a: FileKey, b: FileKey) -> Bool { (a.space.name, a.name) < (b.space.name, b.name) }
}
