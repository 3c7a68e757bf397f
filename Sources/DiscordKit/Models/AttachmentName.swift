import Foundation

/// The name Discord gives an uploaded file, which is not always the name sent: Discord keeps only ASCII letters,
/// digits, `_`, `.` and `-` (accented letters lose their accent, other characters are dropped), turns white space
/// into `_` and trims `_`/`.` from both ends. A bot that tells users what it sent should use this name, since
/// it is the one Discord shows and the one a download saves.
public enum AttachmentName {
    /// The name Discord will show for an attachment uploaded as `name`.
    public static func displayed(_ name: String) -> String {
        var words: [String] = []
        var word = ""
        // Compatibility decomposition splits "é" into "e" and a combining accent, which is then dropped.
        for scalar in name.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "/" || scalar == "\\" {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else if scalar.isASCII {
                word.unicodeScalars.append(scalar)
            }
        }
        if !word.isEmpty { words.append(word) }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        let joined = words.joined(separator: "_").unicodeScalars.filter { allowed.contains($0) }
        let trimmed = String(String.UnicodeScalarView(joined)).trimmingCharacters(in: CharacterSet(charactersIn: "_."))
        return trimmed.isEmpty ? "unknown" : trimmed
    }
}
