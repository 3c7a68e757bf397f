/// The last part of a LIST, NLST or STAT argument read as a shell pattern (`*.txt`, `report-??.pdf`, `[ab]*`) when
/// no entry has that name, as vsftpd, ProFTPD and wu-ftpd do: the classic `ftp` client's `mget *.txt` sends
/// `NLST *.txt` and fetches the names that come back.
///
/// The rules are `fnmatch(3)`'s with `FNM_PERIOD`, over characters rather than bytes (`?` matches `é`, whatever the
/// process's locale): `*` any run, `?` one character, `[abc]`, `[a-z]` and `[!…]` (or `[^…]`) sets, POSIX classes
/// (`[[:digit:]]`, `[[:alpha:]]`…), `[=c=]` and `[.c.]` for one character, `\` quotes the next character (in sets
/// too; a `\` that ends the pattern matches nothing), an unclosed `[` is itself; a leading dot must be matched by a
/// dot, so `*` leaves hidden files out.
package struct FTPNamePattern: Sendable, Hashable {
    package let text: String
    let pattern: [Character]

    /// `nil` when `text` has none of `*`, `?` and `[`: a plain name.
    package init?(_ text: String) {
        guard text.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else { return nil }
        self.text = text
        self.pattern = Array(text)
    }

    package func matches(_ name: String) -> Bool {
        let name = Array(name)
        if name.first == ".", !(self.pattern.first == "." || self.pattern.starts(with: ["\\", "."])) { return false }
        var p = 0, n = 0
        // Where the last `*` was, and the name position it is being tried from: on a mismatch, it takes one more.
        var star: (pattern: Int, name: Int)?
        while n < name.count {
            if p < self.pattern.count, self.pattern[p] == "*" {
                star = (p, n)
                p += 1
                continue
            }
            if p < self.pattern.count, let next = self.step(at: p, matching: name[n]) {
                p = next
                n += 1
                continue
            }
            guard let last = star else { return false }
            p = last.pattern + 1
            n = last.name + 1
            star = (last.pattern, n)
        }
        while p < self.pattern.count, self.pattern[p] == "*" { p += 1 }
        return p == self.pattern.count
    }

    /// Where the pattern continues when its element at `p` (not a `*`) matches `c`, or `nil`.
    private func step(at p: Int, matching c: Character) -> Int? {
        switch self.pattern[p] {
        case "?":
            return p + 1
        case "\\":
            // A backslash that ends the pattern quotes nothing, and matches nothing (as fnmatch).
            return p + 1 < self.pattern.count && self.pattern[p + 1] == c ? p + 2 : nil
        case "[":
            guard let (matched, next) = self.set(at: p, contains: c) else { return c == "[" ? p + 1 : nil }
            return matched ? next : nil
        case let literal:
            return literal == c ? p + 1 : nil
        }
    }

    /// Whether the set opening at `start` contains `c`, and where the pattern continues after it; `nil` when the
    /// set is never closed.
    private func set(at start: Int, contains c: Character) -> (Bool, next: Int)? {
        var i = start + 1
        let negated = i < self.pattern.count && (self.pattern[i] == "!" || self.pattern[i] == "^")
        if negated { i += 1 }
        var found = false
        var unknownClass = false
        var first = true
        while i < self.pattern.count {
            if self.pattern[i] == "]" && !first { return (!unknownClass && found != negated, i + 1) }
            first = false
            if let (element, next) = self.bracketElement(at: i) {
                switch element {
                case .characterClass(let name):
                    guard let contains = Self.characterClass(name, contains: c) else {
                        unknownClass = true  // as fnmatch: a set naming a class that does not exist matches nothing
                        break
                    }
                    if contains { found = true }
                case .single(let name):
                    if name.count == 1 && name.first == c { found = true }
                }
                i = next
                continue
            }
            // One member, perhaps quoted (`[\]]`, `[a\-z]`), perhaps the start of a range.
            guard let (member, afterMember) = self.setMember(at: i) else { return nil }
            // A range cut off by the end of the pattern (`[a-`): as fnmatch, the pattern matches nothing, where an
            // unclosed set without one (`[a`) is read as plain characters, as is one whose cut range starts at `[`.
            if afterMember + 1 == self.pattern.count, self.pattern[afterMember] == "-", self.pattern[i] != "[" {
                return (false, afterMember + 1)
            }
            if afterMember + 1 < self.pattern.count, self.pattern[afterMember] == "-", self.pattern[afterMember + 1] != "]",
                let (high, afterHigh) = self.setMember(at: afterMember + 1)
            {
                if member <= c && c <= high { found = true }
                i = afterHigh
            } else {
                if member == c { found = true }
                i = afterMember
            }
        }
        return nil
    }

    /// The set member at `i`: its character, or the one a backslash quotes; `nil` for a backslash that ends the
    /// pattern (the set is then never closed).
    private func setMember(at i: Int) -> (Character, next: Int)? {
        guard self.pattern[i] == "\\" else { return (self.pattern[i], i + 1) }
        guard i + 1 < self.pattern.count else { return nil }
        return (self.pattern[i + 1], i + 2)
    }
}
