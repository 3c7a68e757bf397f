import Foundation

/// A normalized absolute path inside a user's virtual root, such as `/pub/file.txt`.
///
/// Normalization happens in the virtual namespace before any storage sees the path, so `..` can never climb above
/// `/`; storage backends then map `/` to their own root. Backslashes and `%` escapes have no special meaning in FTP
/// and stay ordinary characters of a name.
public struct FTPPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The components below the root; empty for the root itself. Never contains `""`, `"."` or `".."`.
    public private(set) var components: [String]

    /// `/`: the user's (or the storage's) root.
    public static let root = FTPPath(normalized: [])

    /// The path of these components below the root. Each component is one name: empty ones and `.` are dropped,
    /// `..` climbs to the parent (never above the root), and a component with a `/` in it is split there, exactly as
    /// ``resolving(_:)`` reads a typed path. So no `FTPPath`, however it was built, names anything above its root:
    /// storage backends rely on that.
    public init(components: [String]) {
        if components.allSatisfy(Self.isName) {
            self.components = components
        } else {
            self = FTPPath.root.resolving(components.joined(separator: "/"))
        }
    }

    /// Components already normalized (split on `/`, no `.`, `..` or empty ones).
    private init(normalized components: [String]) {
        self.components = components
    }

    /// Whether a component can stand as it is: one name, not a step through the tree.
    private static func isName(_ component: String) -> Bool {
        !component.isEmpty && component != "." && component != ".." && !component.utf8.contains(UInt8(ascii: "/"))
    }

    /// Parses an absolute path (`/a/b`), normalizing `.`, `..` and repeated slashes.
    public init(_ absolute: String) {
        self = FTPPath.root.resolving(absolute)
    }

    /// Resolves a path argument relative to this directory. `..` at the root stays at the root, as in Unix.
    ///
    /// Splits on the `/` scalar, not on `Character`s: Swift groups a `/` with a combining mark after it (or a
    /// prepended mark before it) into one grapheme, so splitting on characters left such slashes inside a name,
    /// where the file system would then see them as separators (found by `RandomInputTests`).
    public func resolving(_ argument: String) -> FTPPath {
        var parts = argument.unicodeScalars.first == "/" ? [] : self.components
        for piece in argument.unicodeScalars.split(separator: "/", omittingEmptySubsequences: true) {
            if piece.elementsEqual(["."]) { continue }
            if piece.elementsEqual([".", "."]) {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(String(String.UnicodeScalarView(piece)))
        }
        return FTPPath(normalized: parts)
    }

    /// Whether this is `/`.
    public var isRoot: Bool { self.components.isEmpty }
    /// The last component; `/` for the root.
    public var name: String { self.components.last ?? "/" }

    /// The directory holding this path; the root's parent is the root.
    public var parent: FTPPath {
        FTPPath(normalized: Array(self.components.dropLast()))
    }

    /// This path with `name` below it. A `name` that is not one plain name (`..`, `a/b`) is resolved as
    /// ``init(components:)`` resolves it, never above the root.
    public func appending(_ name: String) -> FTPPath {
        Self.isName(name) ? FTPPath(normalized: self.components + [name]) : FTPPath(components: self.components + [name])
    }

    /// Whether `other` is this path or lies below it.
    public func contains(_ other: FTPPath) -> Bool {
        other.components.count >= self.components.count
            && zip(self.components, other.components).allSatisfy(Self.sameName)
    }

    /// Paths are equal when their names are the same bytes, as a file system compares them. Swift's `==` on text
    /// takes `é` precomposed and `e` with a combining accent for one name: a storage keyed that way
    /// (``MemoryStorage``) then found files the disk does not have, and hid the difference from tests.
    public static func == (a: FTPPath, b: FTPPath) -> Bool {
        a.components.count == b.components.count && zip(a.components, b.components).allSatisfy(Self.sameName)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.components.count)
        for component in self.components {
            // The bytes at once: `==` compares bytes, and a byte-by-byte combine costs a call per byte.
            var text = component
            text.withUTF8 { bytes in
                hasher.combine(bytes.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
        }
    }

    private static func sameName(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    public var description: String { "/" + self.components.joined(separator: "/") }

    /// Orders paths by their text, as listings sort them.
    public static func < (lhs: FTPPath, rhs: FTPPath) -> Bool { lhs.description < rhs.description }

    /// The form used in `257` replies: inside quotes, with embedded quotes doubled (RFC 959 appendix II).
    public var quoted: String {
        "\"" + self.description.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

