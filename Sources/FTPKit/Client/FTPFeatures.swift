/// What the server announced in `FEAT` (RFC 2389).
public struct FTPFeatures: Sendable, Hashable {
    /// Feature names, upper-cased, mapped to their parameters (`"MLST": "type*;size*;"`).
    public var entries: [String: String]

    /// Features as already parsed.
    public init(entries: [String: String] = [:]) { self.entries = entries }

    /// Parses a `211` reply to `FEAT`.
    public init(reply: FTPReply) {
        var e: [String: String] = [:]
        for line in reply.lines.dropFirst().dropLast() {
            let trimmed = line.trimmingSpaces()
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            e[parts[0].uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
        self.entries = e
    }

    /// Whether the server announced `name` (any case).
    public func supports(_ name: String) -> Bool { self.entries[name.uppercased()] != nil }

    /// The hash algorithms of the HASH extension, and which one is selected (marked `*`).
    public var hashAlgorithms: [String] {
        (self.entries["HASH"] ?? "").split(separator: ";").map { $0.replacingOccurrences(of: "*", with: "") }
    }
}
