/// A prefix command as typed in a message: `!upload "my file.txt" backup`.
public struct PrefixCommand: Sendable, Hashable {
    /// The command name, lower-cased, without the prefix.
    public var name: String
    /// The arguments, split on whitespace; quoted words stay together.
    public var arguments: [String]

    /// A parsed command.
    public init(name: String, arguments: [String]) {
        self.name = name
        self.arguments = arguments
    }

    /// Text that ``PrefixCommandParser`` reads back as this command: `prefix`, then the name and each argument in
    /// double quotes, `"` and `\` escaped. Scalar by scalar: a backslash with a combining mark after it is one
    /// `Character` to Swift, which a `Character` replacement passes over, but still a backslash to the parser.
    public func text(prefix: String = "!") -> String {
        func quoted(_ word: String) -> String {
            var out = String.UnicodeScalarView()
            out.append("\"")
            for scalar in word.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out.append("\\") }
                out.append(scalar)
            }
            out.append("\"")
            return String(out)
        }
        return prefix + ([self.name] + self.arguments).map(quoted).joined(separator: " ")
    }
}

/// Splits message text into a prefix command and its arguments. The command's name follows the prefix with no
/// space between; arguments are separated by spaces; double or single quotes group words (`"a b"`), a backslash
/// escapes the next character. Pure, for every transport (Discord messages, the console).
public struct PrefixCommandParser: Sendable {
    /// Why a line is not a command.
    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case unterminatedQuote
        case emptyCommand

        public var description: String {
            switch self {
            case .unterminatedQuote: "a quote is not closed"
            case .emptyCommand: "no command right after the prefix"
            }
        }
    }

    /// The prefixes recognised, longest first.
    public var prefixes: [String]

    /// A parser of these prefixes (empty ones are ignored).
    public init(prefixes: [String] = ["!"]) {
        // Longest first, so "!!" wins over "!".
        self.prefixes = prefixes.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// The word right after the prefix, lower-cased, whatever follows it: tells whether a malformed message was
    /// meant for this bot (`!upload "a`) or for another one, or was no command at all (`!!!`, `!it's`).
    public func commandName(_ text: String) -> String? {
        let trimmed = text.unicodeScalars.drop(while: { $0 == " " || $0 == "\t" })
        guard let prefix = self.prefixes.first(where: { trimmed.starts(with: $0.unicodeScalars) }) else { return nil }
        let word = trimmed.dropFirst(prefix.unicodeScalars.count).prefix { !$0.properties.isWhitespace }
        return word.isEmpty ? nil : String(String.UnicodeScalarView(word)).lowercased()
    }

    /// `nil` when the text is not a command (no prefix); an error when it is one but malformed.
    ///
    /// Works on Unicode scalars, not `Character`s: Swift folds a space or a prefix with a combining mark after
    /// it into one character, which made "! ́a" a command named " ́a" (found by `randomMessages`).
    public func parse(_ text: String) -> Result<PrefixCommand, Error>? {
        let trimmed = text.unicodeScalars.drop(while: { $0 == " " || $0 == "\t" })
        guard let prefix = self.prefixes.first(where: { trimmed.starts(with: $0.unicodeScalars) }) else { return nil }
        let body = trimmed.dropFirst(prefix.unicodeScalars.count)
        // The name follows the prefix directly, as ``commandName(_:)`` reads it (and discord.py by default): "! no"
        // in a chat is an exclamation, not the command `no`.
        guard let first = body.first, !first.properties.isWhitespace else { return .failure(.emptyCommand) }
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var inWord = false
        var quote: Unicode.Scalar?
        var escaped = false
        for c in body {
            if escaped {
                current.append(c)
                escaped = false
                inWord = true
                continue
            }
            if c == "\\" {
                escaped = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "\"" || c == "'" {
                quote = c
                inWord = true
                continue
            }
            if c.properties.isWhitespace {
                if inWord { words.append(String(current)) }
                current = String.UnicodeScalarView()
                inWord = false
                continue
            }
            current.append(c)
            inWord = true
        }
        if quote != nil { return .failure(.unterminatedQuote) }
        if inWord || escaped { words.append(String(current)) }
        guard let first = words.first, !first.isEmpty else { return .failure(.emptyCommand) }
        return .success(PrefixCommand(name: first.lowercased(), arguments: Array(words.dropFirst())))
    }
}
