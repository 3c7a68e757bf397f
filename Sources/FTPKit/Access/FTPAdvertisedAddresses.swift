#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which address a `227` (PASV) reply announces, chosen by the client's network: behind a VPN, VPN clients must
/// be sent the VPN address and everyone else the public one.
///
/// Written `10.8.0.0/16=10.8.0.2,0.0.0.0/0=203.0.113.7`: client block `=` address, the most specific block that
/// holds the client wins. A bare address (`203.0.113.7`) applies to every client. The address may be a DNS name,
/// resolved by ``resolved()`` (ftpd does it at start and on `SIGHUP`).
public struct FTPAdvertisedAddresses: Sendable, Hashable, CustomStringConvertible {
    /// One client block and the address its clients are sent.
    public struct Rule: Sendable, Hashable {
        /// The clients this rule is for.
        public var clients: IPAddressRange
        /// An IPv4 address, or a DNS name until ``FTPAdvertisedAddresses/resolved()``.
        public var host: String

        /// Clients in `clients` are sent `host`.
        public init(clients: IPAddressRange, host: String) {
            self.clients = clients
            self.host = host
        }
    }

    /// The rules; the most specific block holding a client wins.
    public var rules: [Rule]

    /// These rules as they are (see ``resolved()`` for names).
    public init(rules: [Rule]) { self.rules = rules }

    /// Parses `BLOCK=ADDRESS,…` or a bare address; every mistake is named in the error.
    public init(parsing text: String) throws(FTPConfigurationError) {
        var rules: [Rule] = []
        for item in text.split(separator: ",").map({ $0.trimmingSpaces() }) where !item.isEmpty {
            // Empty sides kept (`=`, `10.0.0.0/8=`), so they are refused by name below, not skipped.
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let host = parts.count == 2 ? parts[1] : parts[0]
            guard Self.isHostName(host) else {
                throw FTPConfigurationError("advertised address '\(item)': '\(host)' is not an IPv4 address or a DNS name")
            }
            if parts.count == 2 {
                do { rules.append(Rule(clients: try IPAddressRange(parts[0]), host: host)) } catch {
                    throw FTPConfigurationError("advertised address '\(item)': \(error)")
                }
            } else {
                // Every client, whichever family its control connection uses.
                rules.append(Rule(clients: .allIPv4, host: host))
                rules.append(Rule(clients: .allIPv6, host: host))
            }
        }
        guard !rules.isEmpty else { throw FTPConfigurationError("advertised address is empty") }
        self.rules = rules
    }

    /// The address to announce to `client`: the rule with the longest matching block (the first among equals).
    public func address(for client: String) -> String? {
        var best: Rule?
        for rule in self.rules where rule.clients.contains(client) {
            if best.map({ rule.clients.prefixLength > $0.clients.prefixLength }) ?? true { best = rule }
        }
        return best?.host
    }

    /// The same rules with every DNS name replaced by its IPv4 address (a blocking lookup: call it off event
    /// loops). Fails, naming the host, when a name does not resolve to an IPv4 address.
    public func resolved() throws(FTPConfigurationError) -> FTPAdvertisedAddresses {
        var copy = self
        for index in copy.rules.indices where !IPAddressText.isIPv4(copy.rules[index].host) {
            copy.rules[index].host = try Self.resolve(copy.rules[index].host)
        }
        return copy
    }

    /// Whether every rule's address is an IPv4 address (no DNS name left to resolve).
    public var isResolved: Bool { self.rules.allSatisfy { IPAddressText.isIPv4($0.host) } }

    public var description: String {
        self.rules.map { "\($0.clients)=\($0.host)" }.joined(separator: ",")
    }

    static func isHostName(_ text: String) -> Bool {
        if IPAddressText.isIPv4(text) { return true }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty && text.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        } && !(labels.last?.allSatisfy(\.isNumber) ?? true)
    }

    private static func resolve(_ name: String) throws(FTPConfigurationError) -> String {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &result)
        defer { if let result { freeaddrinfo(result) } }
        guard rc == 0, let info = result, let raw = info.pointee.ai_addr else {
            throw FTPConfigurationError("advertised address: '\(name)' does not resolve to an IPv4 address"
                + (rc != 0 ? " (\(String(cString: gai_strerror(rc))))" : ""))
        }
        var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
