package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses directory listings: RFC 3659 `MLSD` facts, Unix `ls -l` lines (vsftpd, ProFTPD, pure-ftpd, busybox),
/// the Windows/IIS DOS format and EPLF. A line that fits none comes back as an ``FTPListEntry/Kind/unparsed``
/// entry, never dropped and never a crash.
package enum FTPListParser {
    /// Parses a `LIST` line. Returns `nil` only for lines that are not entries (`total 12`, empty lines).
    package static func parseList(_ line: String, now: Date = Date()) -> FTPListEntry? {
        let trimmed = line.trimmingSuffixNewlines()
        if trimmed.isEmpty { return nil }
        if trimmed.hasPrefix("total "), trimmed.dropFirst(6).allSatisfy(\.isASCIIDigit) { return nil }
        if trimmed.hasPrefix("+"), let e = parseEPLF(trimmed) { return e }
        if let e = parseUnix(trimmed, now: now) { return e }
        if let e = parseDOS(trimmed) { return e }
        return FTPListEntry(name: trimmed, kind: .unparsed, raw: trimmed)
    }

    /// Parses an `MLSD` line (`fact=value;fact=value; name`), or an `MLST` reply line.
    package static func parseMachine(_ line: String) -> FTPListEntry? {
        var trimmed = line.trimmingSuffixNewlines()
        if trimmed.isEmpty { return nil }
        return trimmed.withUTF8 { self.machineEntry(UnsafeRawBufferPointer($0))?.entry }
    }

    /// Parses a whole listing as its data connection delivered it, a line per entry (`\r\n` or `\n`): `MLSD`
    /// facts when `machine`, else `LIST` lines. The directory itself and its parent (`type=cdir`/`pdir`) are left
    /// out, as are lines that are no entries. Works on the bytes: splitting the text into Characters and each
    /// line's facts into Strings cost 15 µs an entry (a space of 100,000 files on each of two nodes, 3 s).
    package static func parseListing(_ bytes: UnsafeRawBufferPointer, machine: Bool, now: Date = Date()) -> [FTPListEntry] {
        var entries: [FTPListEntry] = []
        self.forEachLine(of: bytes) { line in
            if machine {
                if let (entry, listedItself) = self.machineEntry(line), !listedItself { entries.append(entry) }
            } else if let entry = self.parseList(String(decoding: line, as: UTF8.self), now: now) {
                entries.append(entry)
            }
        }
        return entries
    }

    /// The lines of an `NLST` reply, each a name (or a path, for a pattern), empty lines left out.
    package static func parseNames(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var names: [String] = []
        self.forEachLine(of: bytes) { names.append(String(decoding: $0, as: UTF8.self)) }
        return names
    }

    /// Calls `body` with each non-empty line of `bytes`, without its line break (`\r\n`, `\n`, stray `\r`s).
    private static func forEachLine(of bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var last = end
            while last > start, bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            if last > start { body(UnsafeRawBufferPointer(rebasing: bytes[start..<last])) }
            start = end + 1
        }
    }

    /// One `MLSD` line, without its line break: the entry, and whether it is the listed directory or its parent.
    private static func machineEntry(_ line: UnsafeRawBufferPointer) -> (entry: FTPListEntry, listedItself: Bool)? {
        guard !line.isEmpty else { return nil }
        let raw = String(decoding: line, as: UTF8.self)
        guard let space = line.firstIndex(of: UInt8(ascii: " ")), space + 1 < line.count else {
            // No name, or facts and no name (found by fuzzing): an entry named "" would stand for the directory.
            return (FTPListEntry(name: raw, kind: .unparsed, raw: raw), false)
        }
        var entry = FTPListEntry(
            name: String(decoding: UnsafeRawBufferPointer(rebasing: line[(space + 1)...]), as: UTF8.self), kind: .file,
            raw: raw)
        var sawType = false
        var listedItself = false
        var factStart = 0
        while factStart < space {
            var factEnd = factStart
            while factEnd < space, line[factEnd] != UInt8(ascii: ";") { factEnd += 1 }
            let fact = UnsafeRawBufferPointer(rebasing: line[factStart..<factEnd])
            factStart = factEnd + 1
            guard let eq = fact.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = UnsafeRawBufferPointer(rebasing: fact[..<eq])
            let value = UnsafeRawBufferPointer(rebasing: fact[(eq + 1)...])
            if Self.equalsIgnoringCase(key, "type") {
                sawType = true
                if Self.equalsIgnoringCase(value, "file") {
                    entry.kind = .file
                } else if Self.equalsIgnoringCase(value, "dir") {
                    entry.kind = .directory
                } else if Self.equalsIgnoringCase(value, "cdir") || Self.equalsIgnoringCase(value, "pdir") {
                    entry.kind = .directory
                    listedItself = true
                } else if Self.equalsIgnoringCase(value, "os.unix=symlink") || Self.equalsIgnoringCase(value, "os.unix=slink") {
                    entry.kind = .symbolicLink(target: nil)
                } else if value.count >= 14, Self.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: value[..<14]), "os.unix=slink:") {
                    entry.kind = .symbolicLink(target: String(decoding: UnsafeRawBufferPointer(rebasing: value[14...]), as: UTF8.self))
                } else {
                    entry.kind = .other
                }
            } else if Self.equalsIgnoringCase(key, "size") || Self.equalsIgnoringCase(key, "sizd") {
                entry.size = Self.fileSize(String(decoding: value, as: UTF8.self))
            } else if Self.equalsIgnoringCase(key, "modify") {
                entry.modified = FTPTimestamp.parse(utf8: value)
            } else if Self.equalsIgnoringCase(key, "perm") {
                entry.permissions = String(decoding: value, as: UTF8.self)
            }
        }
        if !sawType && entry.size == nil {
            entry.kind = .unparsed
            entry.name = raw
        }
        return (entry, listedItself)
    }

    /// Whether `bytes` spell `lowercase` in any case (ASCII).
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for i in 0..<bytes.count {
            var c = bytes[i]
            if c >= UInt8(ascii: "A"), c <= UInt8(ascii: "Z") { c += 32 }
            if c != expected[i] { return false }
        }
        return true
    }

    // MARK: - Unix

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parseUnix(_ line: String, now: Date) -> FTPListEntry? {
        guard let first = line.first, "-dlbcpsD".contains(first) else { return nil }
        let tokens = tokenize(line)
        guard tokens.count >= 6, tokens[0].text.count >= 10 else { return nil }
        let mode = tokens[0].text
        guard mode.dropFirst().prefix(9).allSatisfy({ "rwxsStTl-".contains($0) }) else { return nil }
        // Find "<size> <month> <day> <time|year>" anywhere after the mode: owner and group vary in number.
        var monthIndex: Int?
        for i in 2..<max(2, tokens.count - 2) {
            if months.contains(tokens[i].text.lowercased()), tokens[i - 1].text.allSatisfy(\.isASCIIDigit),
                let day = Int(tokens[i + 1].text), (1...31).contains(day), i + 2 < tokens.count
            {
                monthIndex = i
                break
            }
        }
        guard let m = monthIndex, m + 2 < tokens.count else { return nil }
        let timeToken = tokens[m + 2]
        // The name is everything after the single space that follows the time or year.
        let rest = Self.scalars(of: line, after: timeToken)
        guard !rest.isEmpty else { return nil }
        var name = String(String.UnicodeScalarView(rest))
        var kind: FTPListEntry.Kind
        switch first {
        case "d": kind = .directory
        case "-": kind = .file
        case "l":
            var target: String?
            // Found on scalars, like the words: a target starting with a combining mark folds the arrow's space.
            let scalars = Array(name.unicodeScalars)
            let arrow: [Unicode.Scalar] = [" ", "-", ">", " "]
            if let at = scalars.indices.dropLast(3).first(where: { scalars[$0..<$0 + 4].elementsEqual(arrow) }) {
                target = String(String.UnicodeScalarView(scalars[(at + 4)...]))
                name = String(String.UnicodeScalarView(scalars[..<at]))
            }
            kind = .symbolicLink(target: target)
        default: kind = .other
        }
        // " -> target" with nothing before the arrow names nothing.
        guard !name.isEmpty else { return nil }
        let date = unixDate(
            month: months.firstIndex(of: tokens[m].text.lowercased())! + 1, day: Int(tokens[m + 1].text)!,
            timeOrYear: String(timeToken.text), now: now)
        return FTPListEntry(
            name: name, kind: kind, size: Self.fileSize(tokens[m - 1].text), modified: date,
            permissions: String(mode.dropFirst().prefix(9)), raw: line)
    }

    /// A size as a listing writes it; one past 2^63 − 1 (what `off_t`, and so any file system here, can hold) is
    /// no size: a broken or hostile server's, which must not reach arithmetic that assumes files are real.
    static func fileSize(_ text: some StringProtocol) -> UInt64? {
        UInt64(text).flatMap { $0 <= UInt64(Int64.max) ? $0 : nil }
    }

    /// Seconds since 1970 that name a date from year 1 to 9999, as the other formats' dates can.
    static let plausibleSeconds = -62_135_596_800...253_402_300_799

    static func unixDate(month: Int, day: Int, timeOrYear: String, now: Date) -> Date? {
        var hour = 0, minute = 0
        var year: Int
        let nowYear = Calendar.utc.component(.year, from: now)
        if timeOrYear.contains(":") {
            let hm = timeOrYear.split(separator: ":")
            guard hm.count == 2, let h = Int(hm[0]), let mi = Int(hm[1]), (0...23).contains(h), (0...59).contains(mi) else { return nil }
            hour = h
            minute = mi
            year = nowYear
            // `ls` shows a time for dates within six months; a date "in the future" belongs to last year.
            if let d = Calendar.utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)),
                d > now.addingTimeInterval(86400 * 2)
            {
                year -= 1
            }
        } else {
            guard let y = Int(timeOrYear), y > 1900, y <= 9999 else { return nil }
            year = y
        }
        return Calendar.utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
    }

    // MARK: - DOS / IIS

    static func parseDOS(_ line: String) -> FTPListEntry? {
        let tokens = tokenize(line)
        guard tokens.count >= 4 else { return nil }
        let dateParts = tokens[0].text.split(separator: "-")
        guard dateParts.count == 3, let month = Int(dateParts[0]), let day = Int(dateParts[1]),
            var year = Int(dateParts[2]), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if year < 100 { year += year < 70 ? 2000 : 1900 }
        let time = tokens[1].text.uppercased()
        let isPM = time.hasSuffix("PM"), isAM = time.hasSuffix("AM")
        let hm = (isPM || isAM ? String(time.dropLast(2)) : time).split(separator: ":")
        guard hm.count == 2, var hour = Int(hm[0]), let minute = Int(hm[1]) else { return nil }
        if isPM && hour < 12 { hour += 12 }
        if isAM && hour == 12 { hour = 0 }
        let third = tokens[2]
        // Names follow the size or <DIR> after a run of spaces; keep any spaces inside the name.
        let name = String(String.UnicodeScalarView(Self.scalars(of: line, after: third).drop(while: { $0 == " " })))
        guard !name.isEmpty else { return nil }
        let date = Calendar.utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
        if third.text.uppercased() == "<DIR>" {
            return FTPListEntry(name: name, kind: .directory, modified: date, raw: line)
        }
        guard let size = Self.fileSize(third.text.replacingOccurrences(of: ",", with: "")) else { return nil }
        return FTPListEntry(name: name, kind: .file, size: size, modified: date, raw: line)
    }

    // MARK: - EPLF (https://cr.yp.to/ftp/list/eplf.html)

    static func parseEPLF(_ line: String) -> FTPListEntry? {
        guard let tab = line.firstIndex(of: "\t") else { return nil }
        let facts = line[line.index(after: line.startIndex)..<tab].split(separator: ",")
        let name = String(line[line.index(after: tab)...])
        // A tab and no name (found by fuzzing) is not an EPLF entry.
        guard !name.isEmpty else { return nil }
        var entry = FTPListEntry(name: name, kind: .file, raw: line)
        var sawKind = false
        for fact in facts {
            guard let key = fact.first else { continue }
            let value = fact.dropFirst()
            switch key {
            case "/": entry.kind = .directory; sawKind = true
            case "r": if !sawKind { entry.kind = .file }; sawKind = true
            case "s": entry.size = Self.fileSize(value)
            case "m": entry.modified = Int(value).flatMap { Self.plausibleSeconds.contains($0) ? Date(timeIntervalSince1970: Double($0)) : nil }
            case "u": if value.hasPrefix("p") { entry.permissions = String(value.dropFirst()) }
            default: break
            }
        }
        return entry
    }

    // MARK: - Helpers

    struct Token {
        var text: Substring
        var range: Range<String.Index>
    }

    /// Words separated by spaces or tabs, found scalar by scalar: a name that starts with a combining mark would
    /// otherwise fold the space before it into one Character, and the name would run into the time before it.
    /// Ranges are scalar-aligned; take text after them with ``scalars(of:from:)``.
    static func tokenize(_ line: String) -> [Token] {
        var tokens: [Token] = []
        let scalars = line.unicodeScalars
        var i = scalars.startIndex
        while i < scalars.endIndex {
            while i < scalars.endIndex, scalars[i] == " " || scalars[i] == "\t" { i = scalars.index(after: i) }
            guard i < scalars.endIndex else { break }
            let start = i
            while i < scalars.endIndex, scalars[i] != " " && scalars[i] != "\t" { i = scalars.index(after: i) }
            tokens.append(Token(text: Substring(scalars[start..<i]), range: start..<i))
            if tokens.count > 16 { break }  // enough for any format; names may hold many more spaces
        }
        return tokens
    }

    /// The text of `line` from one scalar after `token` (the single space that ends it) to the end.
    static func scalars(of line: String, after token: Token) -> Substring.UnicodeScalarView {
        let scalars = line.unicodeScalars
        let start = scalars.index(token.range.upperBound, offsetBy: 1, limitedBy: scalars.endIndex) ?? scalars.endIndex
        return Substring(line).unicodeScalars[start...]
    }
}

extension Calendar {
    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var s = Substring(self)
        while s.last == "\r" || s.last == "\n" || s.last == "\r\n" { s.removeLast() }
        return String(s)
    }
}
