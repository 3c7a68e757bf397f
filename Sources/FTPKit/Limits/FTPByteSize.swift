/// A byte count in a JSON configuration file: a number (`1048576`) or a string with a unit (`"512K"`, `"10M"`,
/// `"2G"`; see ``FTPByteCount``). Written back as the shortest string.
public struct FTPByteSize: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number of bytes.
    public var value: UInt64

    /// A size of `value` bytes.
    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt64.self) {
            self.value = number
        } else if let text = try? container.decode(String.self), let parsed = FTPByteCount.parse(text) {
            self.value = parsed
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a byte count (write a number, or one like 512K, 10M, 2G)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(FTPByteCount.format(self.value))
    }

    public var description: String { FTPByteCount.format(self.value) }
}
