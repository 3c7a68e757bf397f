import Foundation

/// An IP address and port as carried by `PORT`, `EPRT`, `227` and `229` (RFC 959, RFC 2428).
public struct FTPHostPort: Sendable, Hashable, CustomStringConvertible {
    /// The address family (`1` and `2` in EPRT).
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }
    /// The address as text.
    public var host: String
    /// The TCP port.
    public var port: Int
    /// IPv4 or IPv6, from the address's form.
    public var family: Family

    /// An address and port; the family follows from the address (a `:` means IPv6).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
        self.family = host.contains(":") ? .ipv6 : .ipv4
    }

    public var description: String { self.family == .ipv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    /// `h1,h2,h3,h4,p1,p2` from `PORT` or inside a `227` reply.
    public static func parsePORT(_ text: String) -> FTPHostPort? {
        let parts = text.trimmingSpaces().split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            let trimmed = part.trimmingSpaces()
            guard !trimmed.isEmpty, trimmed.count <= 3, trimmed.allSatisfy(\.isASCIIDigit),
                let n = Int(trimmed), (0...255).contains(n)
            else { return nil }
            numbers.append(n)
        }
        let port = numbers[4] << 8 | numbers[5]
        guard port > 0 else { return nil }
        return FTPHostPort(host: numbers[0..<4].map(String.init).joined(separator: "."), port: port)
    }

    /// `|1|132.235.1.2|6275|` from `EPRT` (any delimiter in 33…126, as RFC 2428 allows).
    public static func parseEPRT(_ text: String) -> FTPHostPort? {
        let text = text.trimmingSpaces()
        guard let delimiter = text.first, let ascii = delimiter.asciiValue, (33...126).contains(ascii),
            text.last == delimiter
        else { return nil }
        let fields = text.split(separator: delimiter, omittingEmptySubsequences: false)
        // "", proto, addr, port, ""
        guard fields.count == 5, fields[0].isEmpty, fields[4].isEmpty else { return nil }
        guard let port = Int(fields[3]), (1...65535).contains(port), fields[3].allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        let address = String(fields[2])
        switch fields[1] {
        case "1":
            guard IPAddressText.isIPv4(address) else { return nil }
        case "2":
            guard IPAddressText.isIPv6(address) else { return nil }
        default:
            return nil
        }
        return FTPHostPort(host: address, port: port)
    }

    /// Finds the `h1,h2,h3,h4,p1,p2` tuple anywhere in a `227` reply text (servers vary in what surrounds it).
    public static func parsePASVReply(_ text: String) -> FTPHostPort? {
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i].isASCIIDigit {
                var j = i
                while j < chars.count, chars[j].isASCIIDigit || chars[j] == "," || chars[j] == " " { j += 1 }
                if let found = parsePORT(String(chars[i..<j])) { return found }
                i = j
            } else {
                i += 1
            }
        }
        return nil
    }

    /// The port from `229 Entering Extended Passive Mode (|||port|)`.
    public static func parseEPSVReply(_ text: String) -> Int? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else {
            return nil
        }
        let inner = String(text[text.index(after: open)..<close])
        guard let d = inner.first, inner.count >= 5 else { return nil }
        let fields = inner.split(separator: d, omittingEmptySubsequences: false)
        guard fields.count == 5, let port = Int(fields[3]), (1...65535).contains(port) else { return nil }
        return port
    }

    /// The argument of `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` for an IPv4 address.
    public var pasvTuple: String? {
        guard self.family == .ipv4, IPAddressText.isIPv4(self.host) else { return nil }
        return self.host.replacingOccurrences(of: ".", with: ",") + ",\(self.port >> 8),\(self.port & 0xFF)"
    }
}

/// Textual IP address checks without touching the network.
package enum IPAddressText {
    package static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { p in
                !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p).map { $0 <= 255 } == true
            }
    }

    package static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.count <= 45 else { return false }
        return s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && s.components(separatedBy: "::").count <= 2
    }

    static func isIPv4MappedPrefix(_ groups: [Int]) -> Bool {
        groups.count == 8 && groups[0..<5].allSatisfy { $0 == 0 } && groups[5] == 0xFFFF
    }

    /// Canonical form used to compare a control peer with a data peer: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes
    /// `1.2.3.4` and IPv6 letters are lower-cased.
    package static func canonical(_ s: String) -> String {
        let lower = s.lowercased()
        if lower.hasPrefix("::ffff:"), isIPv4(String(lower.dropFirst(7))) { return String(lower.dropFirst(7)) }
        return lower
    }
}

extension Character {
    /// `0` to `9` (Swift's `isNumber` also takes other scripts' digits, and fractions).
    package var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
