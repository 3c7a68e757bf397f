import FTPKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FuzzTarget {
    /// A LIST/NLST pattern and a name (`PATTERN\nNAME`): the matcher ends on any input, and for ASCII it answers
    /// what the C library's `fnmatch(3)` with `FNM_PERIOD` answers, the rule it claims. (Beyond ASCII the C
    /// library counts bytes, not characters, so there is nothing to agree with.)
    static func namePattern(_ bytes: [UInt8]) {
        let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
        let pattern = Self.text(Array(parts[0])), name = parts.count > 1 ? Self.text(Array(parts[1])) : ""
        guard let matcher = FTPNamePattern(pattern) else { return }
        let matched = matcher.matches(name)
        // ASCII without NUL (C strings) and CR (a Swift character joins CR LF; fnmatch sees two bytes). Not
        // compared: patterns with `[:`, `[=` or `[.`, where glibc reads malformed classes in ways of its own
        // (`[[:digit:]x` does not match the text `[:digit:]x`); well-formed classes are compared in
        // `FTPNamePatternTests`.
        let comparable = { (text: String) in text.utf8.allSatisfy { $0 > 0 && $0 < 0x80 && $0 != 0x0D } }
        guard comparable(pattern), comparable(name), !["[:", "[=", "[."].contains(where: pattern.contains) else { return }
        let expected = fnmatch(pattern, name, FNM_PERIOD) == 0
        check(matched == expected, "pattern \(pattern.debugDescription) on \(name.debugDescription): \(matched), fnmatch \(expected)")
    }
}
