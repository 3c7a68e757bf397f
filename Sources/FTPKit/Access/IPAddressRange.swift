#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A block of IP addresses in CIDR notation (`10.8.0.0/16`, `2001:db8::/32`), or one address (`203.0.113.7`,
/// a /32 or /128). IPv4 clients that reach an IPv6 socket as `::ffff:a.b.c.d` match IPv4 blocks.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The network's bytes (4 or 16), with the host bits cleared.
    let network: [UInt8]
    /// The number of leading bits that must match (32 or 128 for one address).
    public let prefixLength: Int

    /// Text that is neither an address nor a CIDR block.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The text as given.
        public var text: String
        /// The error for `text`.
        public init(text: String) { self.text = text }
        public var description: String { "'\(self.text)' is not an IP address or CIDR block (like 10.8.0.0/16 or 2001:db8::/32)" }
    }

    /// Every IPv4 address (`0.0.0.0/0`) and every IPv6 address (`::/0`).
    public static let allIPv4 = IPAddressRange(network: [0, 0, 0, 0], prefixLength: 0)
    /// Every IPv6 address (`::/0`).
    public static let allIPv6 = IPAddressRange(network: [UInt8](repeating: 0, count: 16), prefixLength: 0)

    private init(network: [UInt8], prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// Parses `10.8.0.0/16`, `2001:db8::/32` or a single address; host bits below the prefix are
    /// cleared (`10.8.1.5/16` is `10.8.0.0/16`).
    public init(_ text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = Self.bytes(of: String(parts[0])) else { throw ParseError(text: text) }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n), parts[1].allSatisfy(\.isASCIIDigit) else {
                throw ParseError(text: text)
            }
            prefix = n
        }
        self.prefixLength = prefix
        self.network = Self.masked(bytes, prefix)
    }

    /// Whether `address` (textual, as the server sees its clients) lies in the block. Unparsable text matches
    /// nothing.
    public func contains(_ address: String) -> Bool {
        guard var bytes = Self.bytes(of: address) else { return false }
        if bytes.count == 16, self.network.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == self.network.count else { return false }
        return Self.masked(bytes, self.prefixLength) == self.network
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = self.network.count == 4 ? AF_INET : AF_INET6
        _ = self.network.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(address)/\(self.prefixLength)"
    }

    static func bytes(of text: String) -> [UInt8]? {
        // A zone (`fe80::1%eth0`) names an interface, not part of the address.
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = max(0, min(8, prefix - index * 8))
            return keep == 8 ? byte : byte & ~(0xFF >> keep)
        }
    }
}
