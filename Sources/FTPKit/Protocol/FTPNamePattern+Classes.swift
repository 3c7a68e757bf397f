extension FTPNamePattern {
    /// What a `[:name:]`, `[=c=]` or `[.c.]` inside a set stands for.
    enum BracketElement: Equatable {
        /// `[:name:]`: a POSIX character class.
        case characterClass(String)
        /// `[=c=]` (an equivalence class) or `[.c.]` (a collating symbol): in the C locale, the character itself.
        case single(String)
    }

    /// The element opening at `i` (at a `[` followed by `:`, `=` or `.`) and where the set goes on after it, or
    /// `nil` when there is none there (the `[` is then an ordinary member of the set).
    func bracketElement(at i: Int) -> (BracketElement, next: Int)? {
        guard self.pattern[i] == "[", i + 1 < self.pattern.count else { return nil }
        let kind = self.pattern[i + 1]
        guard kind == ":" || kind == "=" || kind == "." else { return nil }
        var j = i + 2
        while j + 1 < self.pattern.count {
            if self.pattern[j] == kind && self.pattern[j + 1] == "]" {
                let name = String(self.pattern[(i + 2)..<j])
                return (kind == ":" ? .characterClass(name) : .single(name), j + 2)
            }
            j += 1
        }
        return nil
    }

    /// Whether class `name` contains `c`; `nil` for a name that is not one of POSIX's twelve. Over characters, as
    /// the rest of the pattern: `[[:alpha:]]` matches `é`; `digit` and `xdigit` are ASCII's, as POSIX defines them.
    static func characterClass(_ name: String, contains c: Character) -> Bool? {
        let isControl = c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control }
        let isDigit = c.isASCII && c.isNumber
        switch name {
        case "alpha": return c.isLetter
        case "digit": return isDigit
        case "alnum": return c.isLetter || isDigit
        case "upper": return c.isUppercase
        case "lower": return c.isLowercase
        case "space": return c.isWhitespace
        case "blank": return c == " " || c == "\t"
        case "punct": return c.isPunctuation || c.isSymbol
        case "cntrl": return isControl
        case "print": return !isControl
        case "graph": return !isControl && !c.isWhitespace
        case "xdigit": return c.isASCII && c.isHexDigit
        default: return nil
        }
    }
}
