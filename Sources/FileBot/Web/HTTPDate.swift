package import Foundation
import FTPKit

/// HTTP's preferred date format (RFC 9110, section 5.6.7, IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Read and written by hand, not by `DateFormatter`: the header is the client's text, and corelibs Foundation's
/// formatter leaked memory on some of it (the `web` fuzz target found 384 bytes per call), which a client could
/// repeat on every request. The form is fixed (29 ASCII bytes), so a parser is short.
package enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `date` in the preferred format (whole seconds, rounded down; kept within the years 1 to 9999 the form
    /// can write).
    package static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let c = FTPTimestamp.components(of: interval.isNaN ? 0 : min(max(interval, -62_135_596_800), 253_402_300_799))
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(c.tm_year + 1900)
        let yyyy = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(Self.weekdays[Int(c.tm_wday)]), \(two(c.tm_mday)) \(Self.months[Int(c.tm_mon)]) \(yyyy) "
            + "\(two(c.tm_hour)):\(two(c.tm_min)):\(two(c.tm_sec)) GMT"
    }

    /// The date `text` gives in the preferred format (spaces around it ignored); nil for anything else, the
    /// obsolete formats and impossible dates (`31 Feb`) included.
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
        guard bytes.count == 29,
            Self.weekdays.contains(where: { $0.utf8.elementsEqual(bytes[0..<3]) }),
            bytes[3...4].elementsEqual(", ".utf8), bytes[7] == 0x20, bytes[11] == 0x20, bytes[16] == 0x20,
            bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"), bytes[25...].elementsEqual(" GMT".utf8),
            let monthIndex = Self.months.firstIndex(where: { $0.utf8.elementsEqual(bytes[8..<11]) }),
            let day = Self.number(bytes[5..<7]), let year = Self.number(bytes[12..<16]),
            let hour = Self.number(bytes[17..<19]), let minute = Self.number(bytes[20..<22]),
            let second = Self.number(bytes[23..<25]),
            (1...FTPTimestamp.daysIn(month: monthIndex + 1, year: year)).contains(day),
            hour < 24, minute < 60, second <= 60  // 60: a leap second
        else { return nil }
        let days = FTPTimestamp.days(year: year, month: monthIndex + 1, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// ASCII digits as a number; nil when any byte is not a digit.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}
