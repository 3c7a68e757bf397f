import Foundation

/// How Discord renames an uploaded file (its server sanitises names like Werkzeug's `secure_filename`): letters
/// with accents lose them and other non-ASCII is dropped, runs of white space become `_`, anything outside
/// `A-Z a-z 0-9 _ . -` is removed, and leading or trailing `.`/`_` are trimmed. `hello (world).png` becomes
/// `hello_world.png`; `_x.png` becomes `x.png`.
public enum FileNameRules {
    /// The name Discord shows for an attachment uploaded as `name`.
    public static func displayed(_ name: String) -> String {
        let decomposed = name.decomposedStringWithCompatibilityMapping
        var ascii = String(decomposed.unicodeScalars.filter(\.isASCII).map(Character.init))
        ascii = ascii.replacingOccurrences(of: "/", with: " ").replacingOccurrences(of: "\\", with: " ")
        let joined = ascii.split(whereSeparator: { $0.isWhitespace }).joined(separator: "_")
        let kept = joined.unicodeScalars.filter {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
        }
        var result = String(String.UnicodeScalarView(kept))
        while let first = result.first, first == "." || first == "_" { result.removeFirst() }
        while let last = result.last, last == "." || last == "_" { result.removeLast() }
        return result.isEmpty ? "unknown" : result
    }
}
