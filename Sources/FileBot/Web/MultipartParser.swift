import Foundation
public import NIOCore

/// A streaming `multipart/form-data` reader (RFC 7578): feed it the body as it arrives and it returns what it
/// found — a part's headers, pieces of its data, its end. Nothing is held whole: data is passed on except the last
/// bytes when they begin a boundary. Pieces of data are slices of the chunks fed, not copies: inside a file, a chunk
/// with no boundary in it comes out whole. A pure state machine with no I/O, so it can be fuzzed and tested alone.
public struct MultipartParser: Sendable {
    /// What a fed chunk turned into, in order.
    public enum Event: Sendable, Hashable {
        /// A part begins; header names in lower case.
        case part(headers: [String: String])
        case data(ByteBuffer)
        case partEnd
    }

    /// Input that is not `multipart/form-data` with this boundary, and why.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    private enum State: Sendable {
        /// Before the first boundary (a preamble may come first).
        case preamble
        /// After a boundary: either `\r\n` (a part follows) or `--` (the end).
        case afterBoundary
        case headers
        case body
        case epilogue
    }

    /// `\r\n--boundary`: what ends a part's data.
    private let delimiter: [UInt8]
    private var state = State.preamble
    private var buffer = ByteBuffer()
    private let maxHeaderBytes = 16 * 1024

    /// The boundary from `Content-Type: multipart/form-data; boundary=…`; `nil` when it is missing or not valid
    /// (1–70 characters, RFC 2046).
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var value = String(p.dropFirst("boundary=".count))
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
                value.utf8.last != 0x20
            else { return nil }
            return value
        }
        return nil
    }

    /// A parser for parts separated by `boundary` (from the request's `Content-Type`).
    public init(boundary: String) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary may start the body, without the CRLF before it.
        self.buffer.writeString("\r\n")
    }

    /// Reads the next bytes of the body.
    public mutating func feed(_ chunk: ByteBuffer) throws(Failure) -> [Event] {
        // Nothing held from before (the usual case inside a file): read the chunk itself, so the data passed on
        // shares its storage instead of being copied into ours.
        if self.buffer.readableBytes == 0 {
            self.buffer = chunk
        } else {
            var chunk = chunk
            self.buffer.writeBuffer(&chunk)
        }
        var events: [Event] = []
        defer { self.detach() }
        while true {
            switch self.state {
            case .preamble:
                guard let at = self.find(self.delimiter) else {
                    self.keepTail()  // preamble bytes are dropped, except what may start the boundary
                    return events
                }
                self.buffer.moveReaderIndex(forwardBy: at + self.delimiter.count)
                self.state = .afterBoundary
            case .afterBoundary:
                guard self.buffer.readableBytes >= 2, let two = self.buffer.readBytes(length: 2) else { return events }
                if two == [0x2D, 0x2D] {
                    self.state = .epilogue
                } else if two == [0x0D, 0x0A] {
                    self.state = .headers
                } else {
                    throw Failure(description: "a boundary is followed by neither a line break nor '--'")
                }
            case .headers:
                guard let end = self.find(Array("\r\n\r\n".utf8)) else {
                    if self.buffer.readableBytes > self.maxHeaderBytes { throw Failure(description: "a part's headers are too long") }
                    return events
                }
                let text = self.buffer.readString(length: end) ?? ""
                self.buffer.moveReaderIndex(forwardBy: 4)
                events.append(.part(headers: try Self.headers(text)))
                self.state = .body
            case .body:
                if let at = self.find(self.delimiter) {
                    if at > 0, let data = self.buffer.readSlice(length: at) { events.append(.data(data)) }
                    self.buffer.moveReaderIndex(forwardBy: self.delimiter.count)
                    events.append(.partEnd)
                    self.state = .afterBoundary
                } else {
                    // Held back: only bytes that begin the delimiter, so a chunk that ends anywhere else passes whole.
                    let safe = self.buffer.readableBytes - self.delimiterPrefixAtEnd()
                    if safe > 0, let data = self.buffer.readSlice(length: safe) { events.append(.data(data)) }
                    return events
                }
            case .epilogue:
                self.buffer.clear()
                return events
            }
        }
    }

    /// The body ended: it must have ended with the closing boundary.
    public func finish() throws(Failure) {
        guard case .epilogue = self.state else {
            throw Failure(description: "the body ended before its closing boundary")
        }
    }

    private mutating func keepTail() {
        let keep = self.delimiter.count - 1
        if self.buffer.readableBytes > keep { self.buffer.moveReaderIndex(forwardBy: self.buffer.readableBytes - keep) }
        self.compact()
    }

    private mutating func compact() {
        if self.buffer.readerIndex > 64 * 1024 { self.buffer.discardReadBytes() }
    }

    /// After a feed: the few bytes held (at most a delimiter's length) are copied out of the chunk they came in, so
    /// the pieces passed on do not share storage with a buffer this parser writes into again (which would copy the
    /// whole chunk) and a chunk is not kept alive for their sake.
    private mutating func detach() {
        let held = self.buffer.readableBytes
        guard held < self.delimiter.count else { return }
        var small = ByteBuffer()
        if held > 0 {
            small.reserveCapacity(self.delimiter.count)
            small.writeImmutableBuffer(self.buffer)
        }
        self.buffer = small
    }

    /// How many of the readable bytes at the end could be the start of a delimiter (which was not found whole):
    /// the longest end that is a prefix of it. Every prefix starts with the delimiter's `\r`, so `memchr` finds the
    /// candidates.
    private func delimiterPrefixAtEnd() -> Int {
        self.buffer.withUnsafeReadableBytes { bytes -> Int in
            self.delimiter.withUnsafeBytes { d -> Int in
                guard let base = bytes.baseAddress, let db = d.baseAddress else { return 0 }
                var i = max(0, bytes.count - (d.count - 1))
                while i < bytes.count {
                    guard let hit = memchr(base + i, Int32(self.delimiter[0]), bytes.count - i) else { return 0 }
                    i = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + i, db, bytes.count - i) == 0 { return bytes.count - i }
                    i += 1
                }
                return 0
            }
        }
    }

    /// Where `needle` starts in the readable bytes: `memchr` (vectorised) finds candidates for its first byte,
    /// `memcmp` checks them.
    private func find(_ needle: [UInt8]) -> Int? {
        self.buffer.withUnsafeReadableBytes { haystack -> Int? in
            needle.withUnsafeBytes { n -> Int? in
                guard let base = haystack.baseAddress, let nb = n.baseAddress, haystack.count >= n.count else { return nil }
                let last = haystack.count - n.count
                var i = 0
                while i <= last {
                    guard let hit = memchr(base + i, Int32(needle[0]), last - i + 1) else { return nil }
                    i = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + i, nb, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }

    private static func headers(_ text: String) throws(Failure) -> [String: String] {
        var headers: [String: String] = [:]
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "a part header has no ':'") }
            headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    /// The `name` and `filename` of a part's `Content-Disposition: form-data; name="file"; filename="a.pdf"`
    /// (`filename*` of RFC 5987 preferred when present).
    ///
    /// Read as browsers and curl write them (the HTML standard's form-data encoding): a backslash is an ordinary
    /// character — only `\"`, from older clients, stands for a quote — and `%22`, `%0D`, `%0A` stand for the quote and
    /// line breaks they escape. Before, `\` was taken as an escape everywhere, so `C:\fakepath\report.pdf` became
    /// `C:fakepathreport.pdf`, and a quote arrived as `%22`. The filename is then its last component after `/` or `\`
    /// (RFC 7578, section 4.2: a client's directories are not the server's).
    public static func disposition(_ value: String) -> (name: String?, filename: String?) {
        var parameters: [String: String] = [:]
        var rest = Substring(value)
        guard let semicolon = rest.firstIndex(of: ";") else { return (nil, nil) }
        rest = rest[rest.index(after: semicolon)...]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == ";" }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var parsed = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first {
                    rest = rest.dropFirst()
                    // `\"` is an escaped quote unless no other quote follows: then it is a literal backslash
                    // (a name ending in one, as browsers send it) and the string's closing quote.
                    if c == "\\", rest.first == "\"", rest.dropFirst().contains("\"") {
                        parsed.append("\"")
                        rest = rest.dropFirst()
                    } else if c == "\"" {
                        break
                    } else {
                        parsed.append(c)
                    }
                }
                parsed = Self.formDataUnescaped(parsed)
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                parsed = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[key] = parsed
        }
        var filename = parameters["filename"]
        if let extended = parameters["filename*"], let quote = extended.range(of: "''"),
            extended.lowercased().hasPrefix("utf-8"), let decoded = extended[quote.upperBound...].removingPercentEncoding
        {
            filename = decoded
        }
        return (parameters["name"], filename.map(Self.lastComponent))
    }

    /// `%22`, `%0D` and `%0A` (any case) as the characters they stand for; nothing else is decoded, since browsers
    /// escape nothing else (a name with `%41` in it means `%41`).
    private static func formDataUnescaped(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out = ""
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            let code = rest[percent...].dropFirst().prefix(2).uppercased()
            switch code {
            case "22": out += "\""
            case "0D": out += "\r"
            case "0A": out += "\n"
            default:
                out += "%"
                rest = rest[rest.index(after: percent)...]
                continue
            }
            rest = rest[percent...].dropFirst(3)
        }
        return out + rest
    }

    /// The part after the last `/` or `\\` (empty for a name of separators only, which no file can take). Split on
    /// scalars: a separator that Swift folds together with a combining mark is still one.
    private static func lastComponent(_ name: String) -> String {
        let scalars = name.unicodeScalars
        let last = scalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last
        return last.map { String(String.UnicodeScalarView($0)) } ?? ""
    }
}
