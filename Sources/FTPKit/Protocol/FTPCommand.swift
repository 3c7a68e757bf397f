/// One command line received on the control connection: the verb (upper-cased) and its raw argument.
///
/// The argument is kept exactly as sent (after the single separating space) because paths may start or end with
/// spaces; interpreting it is the state machine's job.
package struct FTPCommand: Sendable, Hashable, CustomStringConvertible {
    package var verb: String
    package var argument: String

    package init(verb: String, argument: String = "") {
        self.verb = verb.uppercased()
        self.argument = argument
    }

    /// Never echo a password into logs.
    package var description: String {
        if self.verb == "PASS" { return "PASS ****" }
        return self.argument.isEmpty ? self.verb : "\(self.verb) \(self.argument)"
    }
}

/// Why a control line could not be turned into a command.
package enum FTPCommandParseError: Error, Sendable, Hashable {
    case empty
    case invalidVerb
    case invalidEncoding
    case containsNUL
    case tooLong

    /// The reply the server sends for this error; the session continues.
    package var reply: FTPReply {
        switch self {
        case .empty: FTPReply(500, "Empty command.")
        case .invalidVerb: FTPReply(500, "Syntax error, command unrecognized.")
        case .invalidEncoding: FTPReply(501, "Command is not valid UTF-8.")
        case .containsNUL: FTPReply(501, "Command contains a NUL byte.")
        case .tooLong: FTPReply(500, "Command line too long.")
        }
    }
}

/// Turns the bytes of one control line (without its line terminator) into an ``FTPCommand``.
package enum FTPCommandParser {
    /// The longest verb we accept. RFC 959 verbs are 3–4 letters; extensions (e.g. `HOST`, `MLSD`) too.
    static let maxVerbLength = 8

    package static func parse<Bytes: Collection>(_ line: Bytes) -> Result<FTPCommand, FTPCommandParseError>
    where Bytes.Element == UInt8 {
        var bytes = Array(line)
        // Telnet IAC sequences (RFC 959 §4.1.3: clients may send IP/Synch before ABOR) are not part of the command.
        bytes = stripTelnet(bytes)
        if bytes.contains(0) { return .failure(.containsNUL) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalidEncoding) }
        // Leading whitespace is tolerated (some clients send it after Telnet sequences). Scalar by scalar: an
        // argument that starts with a combining mark would fold the space before it into one Character, and
        // `STOR \u{301}x` would read as one unknown verb.
        let trimmed = text.unicodeScalars.drop(while: { $0 == " " || $0 == "\t" })
        if trimmed.isEmpty { return .failure(.empty) }
        let verbEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let verb = trimmed[trimmed.startIndex..<verbEnd]
        guard verb.count <= Self.maxVerbLength, verb.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else {
            return .failure(.invalidVerb)
        }
        var argument = Substring.UnicodeScalarView()
        if verbEnd < trimmed.endIndex {
            argument = trimmed[trimmed.index(after: verbEnd)...]
        }
        return .success(FTPCommand(verb: String(String.UnicodeScalarView(verb)), argument: String(String.UnicodeScalarView(argument))))
    }

    /// Removes Telnet commands (RFC 854) from a line: `IAC IAC` is a data byte 0xFF, `IAC` and a command byte
    /// (240–250: IP, DM, NOP…) is two bytes of Telnet, and `IAC` with WILL, WONT, DO or DONT (251–254) and an
    /// option is three. Only these: `IAC` before any other byte is no Telnet command, and both bytes stay, which
    /// makes the line invalid UTF-8 and the command a 501. (Dropping them instead turned `DELE a\xFF.txt`, a name
    /// sent in Latin-1, into `DELE atxt`: a command about another file.)
    private static func stripTelnet(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0xFF) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0xFF, i + 1 < bytes.count else {
                out.append(bytes[i])
                i += 1
                continue
            }
            switch bytes[i + 1] {
            case 0xFF:
                out.append(0xFF)
                i += 2
            case 240...250:
                i += 2
            case 251...254:
                i += 3
            default:
                out.append(contentsOf: bytes[i...i + 1])
                i += 2
            }
        }
        return out
    }
}
