import Balancer
import FTPKit

/// Which names `!list FILTER` (and `/list filter`) keeps. People type either a piece of a name (`report`) or a
/// shell pattern (`*.pdf`, `scan-202?.png`, `[ab]*`), as they would after `ls`: text with `*`, `?` or `[` is also
/// read as a pattern over the whole name with `FTPNamePattern`'s rules (the ones `NLST *.txt` follows). A name is
/// kept when it contains the text or the pattern matches it, so a piece of a name that looks like a pattern
/// (`[draft]` in `report [draft].pdf`) still finds it. Both ignore case, as the chat's listing always has: `*.PDF`
/// finds `report.pdf`.
package struct NameFilter: Sendable {
    private enum Rule: Sendable {
        case contains(String)
        case pattern(exact: FTPNamePattern, folded: FTPNamePattern?)
    }

    private let rule: Rule

    /// `nil` for no filter (none given, or empty).
    package init?(_ text: String?) {
        guard let text, !text.isEmpty else { return nil }
        if let exact = FTPNamePattern(text) {
            // The case-folded pattern is tried on the case-folded name; the exact one too, so a class such as
            // `[[:upper:]]` still means what it says.
            self.rule = .pattern(exact: exact, folded: FTPNamePattern(text.lowercased()))
        } else {
            self.rule = .contains(text)
        }
    }

    package func matches(_ name: String) -> Bool {
        switch self.rule {
        case .contains(let text):
            return FileNames.contains(name, text)
        case .pattern(let exact, let folded):
            return exact.matches(name) || folded?.matches(name.lowercased()) == true
                || FileNames.contains(name, exact.text)
        }
    }
}
