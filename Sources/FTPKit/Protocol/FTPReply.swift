/// A reply on the FTP control connection (RFC 959 §4.2): a three-digit code and one or more lines of text.
public struct FTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit reply code.
    public var code: Int
    /// The text, one element per line (without the code). No lines at all is sent as one empty line.
    public var lines: [String]

    /// A reply of `code` with `text`; a text with newlines becomes a multi-line reply.
    public init(_ code: Int, _ text: String) {
        self.code = code
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// A reply of `code` with these lines (none is one empty line: a reply always has a line).
    public init(_ code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// The wire form. Multi-line replies use `code-` on the first line, the code and a space on the last,
    /// and indent the inner lines by one space so none of them can be mistaken for the terminating line.
    public var encoded: String {
        if self.lines.count <= 1 {
            return "\(self.code) \(Self.clean(self.lines.first ?? ""))\r\n"
        }
        var out = Self.opening(self.code, self.lines[0])
        for line in self.lines.dropFirst().dropLast() {
            out += " \(Self.clean(line))\r\n"
        }
        out += "\(self.code) \(Self.clean(self.lines[self.lines.count - 1]))\r\n"
        return out
    }

    public var description: String { self.encoded.trimmingSuffix() }

    /// The first line of a multi-line reply whose other lines are written as they come (a STAT listing): `code-text`.
    package static func opening(_ code: Int, _ text: String) -> String {
        "\(code)-\(Self.clean(text))\r\n"
    }

    /// Reply text may echo client input (paths, arguments): strip CR/LF so it can never inject a reply line.
    private static func clean(_ text: String) -> String {
        let unsafe: (Unicode.Scalar) -> Bool = { $0 == "\r" || $0 == "\n" || $0 == "\0" }
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(unsafe(scalar) ? " " : scalar) }
        return String(out)
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var s = self
        while s.last == "\n" || s.last == "\r" { s.removeLast() }
        return s
    }
}
