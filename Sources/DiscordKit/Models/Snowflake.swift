public import Foundation

/// A Discord ID. Sent as a JSON string (64-bit integers lose precision in JavaScript); numbers are accepted
/// on input too, since some peers send them.
public struct Snowflake: RawRepresentable, Codable, Sendable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A snowflake from its decimal text.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// A snowflake from its number.
    public init(_ value: UInt64) { self.rawValue = String(value) }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { self.rawValue }
    /// The number, when the text is one.
    public var value: UInt64? { UInt64(self.rawValue) }

    /// Creation time encoded in the ID (milliseconds since the Discord epoch, 2015-01-01).
    public var date: Date? {
        guard let v = self.value else { return nil }
        return Date(timeIntervalSince1970: Double((v >> 22) + 1_420_070_400_000) / 1000)
    }

    /// Orders by number (so by creation time), then by text.
    public static func < (a: Snowflake, b: Snowflake) -> Bool {
        (a.value ?? 0, a.rawValue) < (b.value ?? 0, b.rawValue)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let s = try? container.decode(String.self) {
            self.rawValue = s
        } else {
            self.rawValue = String(try container.decode(UInt64.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
