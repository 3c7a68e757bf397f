public import Foundation

/// A Discord ID: an unsigned 64-bit number. Sent as a JSON string (64-bit integers lose precision in JavaScript);
/// numbers are accepted on input too, since some peers send them.
///
/// Decoding refuses anything but a 64-bit number's decimal text: an id is written back into requests' paths
/// and into message text (`<@id>` mentions), so text such as `1> @everyone` or `../` must never pass for one. The
/// initializers from text do not check, so tests and configuration can name ids freely; ``value`` is `nil` for
/// text that is not an id.
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
    /// The number, when the text is one as Discord writes it: decimal digits, no sign, no leading zero
    /// (`UInt64("+5")` would also read `+5`, and `007` as 7).
    public var value: UInt64? { Self.number(self.rawValue) }

    /// How Discord's Markdown writes a mention of the user with this id.
    public var userMention: String { "<@\(self.rawValue)>" }

    /// `text` as a 64-bit number, when it is the number's own decimal text (so it writes back the same).
    static func number(_ text: String) -> UInt64? {
        guard text.utf8.count <= 20, let number = UInt64(text), String(number) == text else { return nil }
        return number
    }

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
            guard Self.number(s) != nil else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "A Discord id is a 64-bit number in decimal digits")
            }
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
