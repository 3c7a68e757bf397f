/// File systems limit each name to 255 bytes (`NAME_MAX` on ext4, XFS, tmpfs), not characters: helpers that keep
/// names, and the temporary names derived from them, within it.
package enum NameBytes {
    /// The longest name, in UTF-8 bytes.
    package static let max = 255

    /// The longest start of `text` within `maxBytes` UTF-8 bytes, cut between scalars.
    package static func prefix(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        var bytes = 0
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxBytes { break }
            out.append(scalar)
        }
        return String(out)
    }

    /// A temporary path beside `path`: its last component with `suffix` appended, the component first cut so the
    /// result stays within the limit (a name at the limit would otherwise leave no room for the suffix).
    package static func path(beside path: String, suffix: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let base = Self.prefix(String(path[slash...]), maxBytes: Self.max - suffix.utf8.count)
        return String(path[..<slash]) + base + suffix
    }
}
