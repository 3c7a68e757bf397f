package import Foundation

/// HTTP's preferred date format (RFC 9110, section 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
package enum HTTPDate {
    private static func formatter() -> DateFormatter {
        // A formatter per call: DateFormatter is not Sendable, and these run a few times per request.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }

    package static func format(_ date: Date) -> String { Self.formatter().string(from: date) }

    /// The date `text` gives in the preferred format; nil for anything else (the obsolete formats included).
    package static func parse(_ text: String) -> Date? { Self.formatter().date(from: text.trimmingCharacters(in: .whitespaces)) }
}
