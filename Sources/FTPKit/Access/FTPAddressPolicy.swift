/// Which client addresses may connect (the server's policy) or log in as a user (a user's policy).
///
/// A client matching any `deny` block is refused; otherwise, when `allow` is not empty, only clients matching one
/// of its blocks are let in. Checked against the client's real address, after a PROXY header from a trusted proxy.
public struct FTPAddressPolicy: Sendable, Hashable {
    /// Blocks that may connect; empty: every address not denied.
    public var allow: [IPAddressRange]
    /// Blocks that may never connect; they win over ``allow``.
    public var deny: [IPAddressRange]

    /// A policy of these blocks (the default lets everyone in).
    public init(allow: [IPAddressRange] = [], deny: [IPAddressRange] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Parses CIDR blocks or addresses; the error names the first bad one.
    public init(allow: [String], deny: [String]) throws(IPAddressRange.ParseError) {
        self.allow = try allow.map { (text: String) throws(IPAddressRange.ParseError) in try IPAddressRange(text) }
        self.deny = try deny.map { (text: String) throws(IPAddressRange.ParseError) in try IPAddressRange(text) }
    }

    /// Whether the policy lets every address in.
    public var isUnrestricted: Bool { self.allow.isEmpty && self.deny.isEmpty }

    /// Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6 text) may connect; text that is not an address
    /// matches no block, so only a policy without ``allow`` lets it in.
    public func permits(_ address: String) -> Bool {
        if self.deny.contains(where: { $0.contains(address) }) { return false }
        return self.allow.isEmpty || self.allow.contains { $0.contains(address) }
    }
}
