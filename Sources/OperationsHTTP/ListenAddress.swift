/// `HOST:PORT` as operators write a listening address: an IPv4 address or a name, or an IPv6 address in brackets
/// (`[::1]:9100`, as in URLs), then a port from 0 (any free one) to 65535. One parser for every program's
/// `--…-address` option, so they accept and refuse the same things.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address to bind (an IPv6 address without its brackets).
    public var host: String
    /// The port (0: any free one).
    public var port: Int

    /// An address of `host` and `port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `nil` when `text` is not `HOST:PORT`. A colon left in an unbracketed host is refused: `127.0.0.1:80:9` is a
    /// typo, and `::1:9100` could be read two ways.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = text[..<colon]
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains("[") && !host.contains("]"), bracketed || !host.contains(":") else { return nil }
        self.init(host: String(host), port: port)
    }

    /// As typed: IPv6 hosts in brackets.
    public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}
