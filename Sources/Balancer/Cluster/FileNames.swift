import FTPKit

/// Name rules of the cluster, shared by every front end (Discord, the console).
public enum FileNames {
    /// Whether the cluster accepts `name` as it is.
    public static func isValid(_ name: String) -> Bool { Cluster.isValidName(name) }

    /// A safe version of `name`: path separators become `_`, control characters are dropped, leading dots and
    /// spaces are removed, `..` cannot survive. `nil` when nothing usable is left.
    public static func clean(_ name: String) -> String? {
        // Scalar by scalar: a "/" or "." that Swift folds with a combining mark is still a "/" or "." on disk.
        let scalars: [Unicode.Scalar] = name.unicodeScalars.compactMap { s in
            if s == "/" || s == "\\" { return "_" }
            if s.value < 32 || s.value == 127 { return nil }
            return s
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.drop { $0 == "." || $0 == " " })
        // Trailing spaces go after the cut to the byte limit, which can end the name in one again.
        var text = NameBytes.prefix(String(out), maxBytes: Self.maxBytes)
        while text.unicodeScalars.last == " " { text.unicodeScalars.removeLast() }
        return text.isEmpty || !Cluster.isValidName(text) ? nil : text
    }

    /// The longest name in UTF-8 bytes that file systems take (ext4, XFS, tmpfs: `NAME_MAX`).
    public static let maxBytes = NameBytes.max

    /// Whether `name` contains `piece`, ignoring case as name completion does: both lower-cased, compared as UTF-8.
    /// (Foundation's `localizedCaseInsensitiveContains` groups characters its own way: a control character and a
    /// combining mark after it are one to it and two to Swift, so a name was not found by its own start.)
    public static func contains(_ name: String, _ piece: String) -> Bool {
        Self.contains(lowercased: name.lowercased(), Array(piece.lowercased().utf8))
    }

    /// `contains` for a caller that filters many names by one piece: both already lower-cased, the piece as UTF-8.
    package static func contains(lowercased name: String, _ piece: [UInt8]) -> Bool {
        SpaceIndex.contains(name, piece)
    }

    /// The existing names closest to `name` (edit distance, case-insensitive), best first.
    public static func suggestions(for name: String, among names: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased())
        let scored = names.map { candidate -> (String, Int) in
            let c = Array(candidate.lowercased())
            var d = distance(target, c)
            if c.starts(with: target) || candidate.lowercased().contains(name.lowercased()) { d = min(d, 1) }
            return (candidate, d)
        }
        let threshold = max(2, target.count / 2)
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
