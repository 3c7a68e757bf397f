/// Arguments of console commands whose values may contain spaces when typed without quotes.
enum ConsoleArguments {
    /// The longest run of leading words that, joined by spaces, satisfies `accept` (so `reports/my report.pdf`
    /// typed without quotes is still one path), with the words after it. `nil` when no run does.
    static func longestLeading(_ words: [String], where accept: (String) -> Bool) -> (value: String, rest: [String])? {
        for count in stride(from: words.count, through: 1, by: -1) {
            let candidate = words.prefix(count).joined(separator: " ")
            if accept(candidate) { return (candidate, Array(words.dropFirst(count))) }
        }
        return nil
    }
}
