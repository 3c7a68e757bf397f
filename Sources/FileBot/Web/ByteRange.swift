import Foundation

/// One `Range: bytes=…` request resolved against a file's size (RFC 9110, section 14).
public enum ByteRange: Sendable, Hashable {
    /// The whole file (no Range header, several ranges, or a unit other than bytes: all may be ignored).
    case whole
    /// Bytes `start` through `end`, inclusive.
    case partial(start: UInt64, end: UInt64)
    /// Nothing of the file can be sent: answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Reads `header` for a file of `size` bytes.
    public static func parse(_ header: String?, size: UInt64) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(",") else { return .whole }  // several ranges: the whole file is a valid answer
        let sides = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2 else { return .whole }
        let first = sides[0].trimmingCharacters(in: .whitespaces), last = sides[1].trimmingCharacters(in: .whitespaces)
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty),
            first.count <= 19, last.count <= 19
        else { return .whole }  // not a valid range: ignored, as RFC 9110 asks
        if first.isEmpty {
            // A suffix: the last N bytes.
            guard let n = UInt64(last), n > 0, size > 0 else { return .unsatisfiable }
            return .partial(start: size - min(n, size), end: size - 1)
        }
        guard let start = UInt64(first), start < size else { return .unsatisfiable }
        let end = last.isEmpty ? size - 1 : min(UInt64(last) ?? size - 1, size - 1)
        guard end >= start else { return .whole }
        return .partial(start: start, end: end)
    }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
