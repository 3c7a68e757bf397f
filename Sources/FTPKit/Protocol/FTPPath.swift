import Foundation

/// A normalized absolute path inside a user's virtual root, such as `/pub/file.txt`.
///
/// Normalization happens in the virtual namespace before any storage sees the path, so `..` can never climb above
/// `/`; storage backends then map `/` to their own root. Backslashes and `%` escapes have no special meaning in FTP
/// and stay ordinary characters of a name.
public struct FTPPath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The components below the root; empty for the root itself. Never contains `""`, `"."` or `".."`.
    public private(set) var components: [String]

    public static let root = FTPPath(components: [])

    public init(components: [String]) {
        self.components = components
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
        return FTPPath(components: parts)
    }

    public var isRoot: Bool { self.components.isEmpty }
    public var name: String { self.components.last ?? "/" }

    public var parent: FTPPath {
        FTPPath(components: Array(self.components.dropLast()))
    }

    public func appending(_ name: String) -> FTPPath {
        FTPPath(components: self.components + [name])
    }

    /// Whether `other` is this path or lies below it.
    public func contains(_ other: FTPPath) -> Bool {
        other.components.count >= self.components.count
            && Array(other.components.prefix(self.components.count)) == self.components
    }

    public var description: String { "/" + self.components.joined(separator: "/") }

    public static func < (lhs: FTPPath, rhs: FTPPath) -> Bool { lhs.description < rhs.description }

    /// The form used in `257` replies: inside quotes, with embedded quotes doubled (RFC 959 appendix II).
    public var quoted: String {
        "\"" + self.description.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

