import Balancer
import FTPKit

/// Which names `!list FILTER` (and `/list filter`) keeps. People type either a piece of a name (`report`) or a
/// shell pattern (`*.pdf`, `scan-202?.png`, `[ab]*`), as they would after `ls`: text with `*`, `?` or `[` is also
/// read as a pattern over the whole name with `FTPNamePattern`'s rules (the ones `NLST *.txt` follows). A name is
/// kept when it contains the text or the pattern matches it, so a piece of a name that looks like a pattern
/// (`[draft]` in `report [draft].pdf`) still finds it. Both ignore case, as the chat's listing always has: `*.PDF`
/// finds `report.pdf`.
package struct NameFilter: Sendable {
    /// The text lower-cased, as UTF-8: every rule also keeps a name that contains it.
    private let piece: [UInt8]
    /// The text read as a pattern, exactly and case-folded; `nil` when it has no `*`, `?` or `[`.
    private let patterns: (exact: FTPNamePattern, folded: FTPNamePattern?)?

    /// `nil` for no filter (none given, or empty).
    package init?(_ text: String?) {
        guard let text, !text.isEmpty else { return nil }
        let lower = text.lowercased()
        self.piece = Array(lower.utf8)
        // The case-folded pattern is tried on the case-folded name; the exact one too, so a class such as
        // `[[:upper:]]` still means what it says.
        self.patterns = FTPNamePattern(text).map { ($0, FTPNamePattern(lower)) }
    }

    /// Whether `name` is kept. A listing calls this once per name of a space (up to 100,000), so the name is
    /// lower-cased once here and the filter's own forms were prepared in `init`.
    package func matches(_ name: String) -> Bool {
        if let patterns, patterns.exact.matches(name) { return true }
        let lower = name.lowercased()
        if let folded = patterns?.folded, folded.matches(lower) { return true }
        return FileNames.contains(lowercased: lower, self.piece)
    }
}
