/// Assembles server replies from lines (RFC 959 §4.2): `123 text`, or a multi-line reply from `123-text` up to a
/// line that starts with `123 `. Pure: feed it lines, get replies or a typed error.
package struct FTPReplyParser: Sendable {
    package enum Error: Swift.Error, Sendable, Hashable {
        /// The line does not start with a three-digit code in 100–599.
        case malformed(String)
        /// A multi-line reply grew past the limit.
        case tooLong
    }

    private var pending: (code: Int, lines: [String])?
    package let maxLines: Int

    package init(maxLines: Int = 100_000) { self.maxLines = maxLines }

    /// Whether a multi-line reply is half received (a server that closes now cut it short).
    package var isInsideReply: Bool { self.pending != nil }

    /// Feeds one line (without CRLF). Returns a reply when one is complete.
    package mutating func feed(_ line: String) throws(Error) -> FTPReply? {
        if var p = self.pending {
            if let code = Self.code(line), code == p.code, Self.separator(line) == UInt8(ascii: " ") {
                self.pending = nil
                p.lines.append(Self.text(line))
                return FTPReply(p.code, lines: p.lines)
            }
            guard p.lines.count < self.maxLines else { throw .tooLong }
            // Inner lines may carry anything; a leading space (as servers indent) is not part of the content.
            p.lines.append(line.hasPrefix(" ") ? String(line.dropFirst()) : line)
            self.pending = p
            return nil
        }
        guard let code = Self.code(line) else { throw .malformed(String(line.prefix(80))) }
        let text = Self.text(line)
        switch Self.separator(line) {
        case UInt8(ascii: "-"):
            self.pending = (code, [text])
            return nil
        case UInt8(ascii: " "):
            return FTPReply(code, lines: [text])
        default:
            throw .malformed(String(line.prefix(80)))
        }
    }

    // The code and its separator are four ASCII bytes, read as bytes: a text that starts with a combining mark
    // would fold the separating space into one Character with it, and the reply would read as malformed.

    /// The byte after the code (a space for a line that is only the code).
    private static func separator(_ line: String) -> UInt8 {
        let bytes = line.utf8
        return bytes.count > 3 ? bytes[bytes.index(bytes.startIndex, offsetBy: 3)] : UInt8(ascii: " ")
    }

    /// What follows the code and its separator.
    private static func text(_ line: String) -> String {
        line.utf8.count > 4 ? String(String.UnicodeScalarView(line.unicodeScalars.dropFirst(4))) : ""
    }

    private static func code(_ line: String) -> Int? {
        let u = Array(line.utf8.prefix(3))
        guard u.count == 3, (UInt8(ascii: "1")...UInt8(ascii: "5")).contains(u[0]),
            u[1] >= 48, u[1] <= 57, u[2] >= 48, u[2] <= 57
        else { return nil }
        return Int(u[0] - 48) * 100 + Int(u[1] - 48) * 10 + Int(u[2] - 48)
    }
}

extension FTPReply {
    /// All lines joined, for messages and parsing.
    package var text: String { self.lines.joined(separator: "\n") }
    package var isPreliminary: Bool { self.code / 100 == 1 }
    package var isSuccess: Bool { self.code / 100 == 2 }
    package var isIntermediate: Bool { self.code / 100 == 3 }
    package var isTransientFailure: Bool { self.code / 100 == 4 }
    package var isPermanentFailure: Bool { self.code / 100 == 5 }
}
