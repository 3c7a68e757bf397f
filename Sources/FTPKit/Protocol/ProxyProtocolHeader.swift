/// The PROXY protocol header (HAProxy's, versions 1 and 2) that a load balancer puts in front of a connection to
/// pass on the client's real address. Parsing is pure: bytes in, a header (and how many bytes it used) out.
package struct ProxyProtocolHeader: Sendable, Hashable {
    package enum Command: Sendable, Hashable {
        /// A proxied connection: `source` is the client.
        case proxy
        /// The proxy's own connection (health checks): no addresses, use the TCP peer.
        case local
    }

    package var version: Int
    package var command: Command
    package var source: FTPHostPort?
    package var destination: FTPHostPort?

    package init(version: Int, command: Command, source: FTPHostPort?, destination: FTPHostPort?) {
        self.version = version
        self.command = command
        self.source = source
        self.destination = destination
    }

    package enum ParseResult: Sendable, Hashable {
        /// Not enough bytes yet to decide.
        case incomplete
        /// The bytes do not start with a PROXY header (a plain client).
        case absent
        case header(ProxyProtocolHeader, length: Int)
        case invalid(String)
    }

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix = Array("PROXY ".utf8)

    /// Looks at the start of a connection's bytes.
    package static func parse(_ bytes: some Collection<UInt8>) -> ParseResult {
        let data = Array(bytes.prefix(536))
        if data.isEmpty { return .incomplete }
        let v1Match = zip(data, Self.v1Prefix).allSatisfy { $0 == $1 }
        let v2Match = zip(data, Self.v2Signature).allSatisfy { $0 == $1 }
        if v1Match {
            return data.count < Self.v1Prefix.count ? .incomplete : Self.parseV1(data)
        }
        if v2Match {
            return data.count < Self.v2Signature.count ? .incomplete : Self.parseV2(data)
        }
        return .absent
    }

    private static func parseV1(_ data: [UInt8]) -> ParseResult {
        // "PROXY TCP4 192.0.2.1 198.51.100.2 56324 21\r\n", at most 107 bytes.
        guard let cr = data.firstIndex(of: 0x0D) else {
            return data.count >= 107 ? .invalid("PROXY v1 line longer than 107 bytes") : .incomplete
        }
        guard cr + 1 < data.count else { return .incomplete }
        guard data[cr + 1] == 0x0A, cr + 2 <= 107 else { return .invalid("PROXY v1 line not ended by CRLF") }
        guard let line = String(validating: data[0..<cr], as: UTF8.self) else { return .invalid("PROXY v1 line is not text") }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return .invalid("PROXY v1 line without a protocol") }
        switch parts[1] {
        case "UNKNOWN":
            return .header(ProxyProtocolHeader(version: 1, command: .local, source: nil, destination: nil), length: cr + 2)
        case "TCP4", "TCP6":
            guard parts.count == 6 else { return .invalid("PROXY v1 line needs 4 addresses and ports") }
            let v4 = parts[1] == "TCP4"
            for address in parts[2...3] {
                let ok = v4 ? IPAddressText.isIPv4(address) : IPAddressText.isIPv6(address)
                guard ok else { return .invalid("PROXY v1 address '\(address)' is not \(v4 ? "IPv4" : "IPv6")") }
            }
            guard let sport = Self.port(parts[4]), let dport = Self.port(parts[5]) else {
                return .invalid("PROXY v1 port out of range")
            }
            return .header(ProxyProtocolHeader(
                version: 1, command: .proxy,
                source: FTPHostPort(host: IPAddressText.canonical(parts[2]), port: sport),
                destination: FTPHostPort(host: IPAddressText.canonical(parts[3]), port: dport)), length: cr + 2)
        default:
            return .invalid("PROXY v1 protocol '\(parts[1].prefix(16))' is not TCP4, TCP6 or UNKNOWN")
        }
    }

    /// RFC 5952 text for 16 address bytes (the form the socket layer reports, so addresses compare equal).
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        // The longest run of two or more zero groups becomes "::".
        var best = (start: -1, length: 0)
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > best.length && j - i >= 2 { best = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        if IPAddressText.isIPv4MappedPrefix(groups) {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard best.start >= 0 else { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    private static func port(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCIIDigit), !(text.count > 1 && text.first == "0"),
            let value = Int(text), (0...65535).contains(value)
        else { return nil }
        return value
    }

    private static func parseV2(_ data: [UInt8]) -> ParseResult {
        guard data.count >= 16 else { return .incomplete }
        let versionCommand = data[12]
        guard versionCommand >> 4 == 2 else { return .invalid("PROXY v2 header with version \(versionCommand >> 4)") }
        let command: Command
        switch versionCommand & 0x0F {
        case 0: command = .local
        case 1: command = .proxy
        default: return .invalid("PROXY v2 command \(versionCommand & 0x0F) is unknown")
        }
        let family = data[13]
        let length = Int(data[14]) << 8 | Int(data[15])
        let total = 16 + length
        guard data.count >= total || total > 536 else { return .incomplete }
        guard total <= 536 else { return .invalid("PROXY v2 header of \(total) bytes is too long") }
        let body = data[16..<total]
        if command == .local {
            return .header(ProxyProtocolHeader(version: 2, command: .local, source: nil, destination: nil), length: total)
        }
        func bigEndian(_ at: Int) -> Int { Int(body[body.startIndex + at]) << 8 | Int(body[body.startIndex + at + 1]) }
        switch family {
        case 0x11:  // TCP over IPv4
            guard length >= 12 else { return .invalid("PROXY v2 IPv4 addresses are truncated") }
            let src = body.prefix(4).map(String.init).joined(separator: ".")
            let dst = body.dropFirst(4).prefix(4).map(String.init).joined(separator: ".")
            return .header(ProxyProtocolHeader(
                version: 2, command: .proxy, source: FTPHostPort(host: src, port: bigEndian(8)),
                destination: FTPHostPort(host: dst, port: bigEndian(10))), length: total)
        case 0x21:  // TCP over IPv6
            guard length >= 36 else { return .invalid("PROXY v2 IPv6 addresses are truncated") }
            func v6(_ offset: Int) -> String {
                IPAddressText.canonical(Self.ipv6Text(Array(body.dropFirst(offset).prefix(16))))
            }
            return .header(ProxyProtocolHeader(
                version: 2, command: .proxy, source: FTPHostPort(host: v6(0), port: bigEndian(32)),
                destination: FTPHostPort(host: v6(16), port: bigEndian(34))), length: total)
        case 0x00:  // UNSPEC: addresses unknown, as LOCAL
            return .header(ProxyProtocolHeader(version: 2, command: .local, source: nil, destination: nil), length: total)
        default:
            return .invalid("PROXY v2 address family \(family) is not TCP over IPv4 or IPv6")
        }
    }
}
