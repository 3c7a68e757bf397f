package import Foundation
import FTPKit

/// HTTP's dates (RFC 9110, section 5.6.7): written in the preferred format, IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), and read in all three, as the RFC requires of a recipient: IMF-fixdate,
/// the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and C's asctime form (`Sun Nov  6 08:49:37 1994`).
///
/// Read and written by hand, not by `DateFormatter`: the header is the client's text, and corelibs Foundation's
/// formatter leaked memory on some of it (the `web` fuzz target found 384 bytes per call), which a client could
/// repeat on every request. Each form has a fixed layout, so a parser is short.
package enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    /// The dates the preferred format can write: years 0000 to 9999.
    private static let writable: ClosedRange<TimeInterval> = -62_167_219_200...253_402_300_799

    /// `date` in the preferred format (whole seconds, rounded down; kept within the years 0 to 9999 the form
    /// can write).
    package static func format(_ date: Date) -> String {
        let c = FTPTimestamp.components(of: Self.writableSeconds(date.timeIntervalSince1970))
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(c.tm_year + 1900)
        let yyyy = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(Self.weekdays[Int(c.tm_wday)]), \(two(c.tm_mday)) \(Self.months[Int(c.tm_mon)]) \(yyyy) "
            + "\(two(c.tm_hour)):\(two(c.tm_min)):\(two(c.tm_sec)) GMT"
    }

    /// The date `text` gives in any of the three forms (spaces around it ignored); nil for anything else and for
    /// impossible dates (`31 Feb`). Names are matched as the RFC spells them (`Nov`, not `nov`).
    ///
    /// `now` places the RFC 850 form's two-digit year: the year with those digits that is no more than 50 years
    /// after `now` (RFC 9110: a date that appears to be more than 50 years in the future is read as the most
    /// recent past year with the same last two digits). Dates are kept within what ``format(_:)`` writes (a leap
    /// second at the very end of 9999 is read as the second before), so what is read writes back the same.
    package static func parse(_ text: String, now: Date) -> Date? {
        let bytes = Array(text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
        let fields = Self.imfFixdate(bytes) ?? Self.rfc850(bytes, now: now) ?? Self.asctime(bytes)
        guard let fields else { return nil }
        let days = FTPTimestamp.days(year: fields.year, month: fields.month, day: fields.day)
        return Date(timeIntervalSince1970: Self.writableSeconds(TimeInterval(days * 86_400 + fields.secondOfDay)))
    }

    /// A calendar date and time, its fields checked against each other.
    private struct Fields {
        var year: Int, month: Int, day: Int, secondOfDay: Int

        init?(year: Int, month: Int, day: Int, time: Int) {
            guard (1...FTPTimestamp.daysIn(month: month, year: year)).contains(day) else { return nil }
            (self.year, self.month, self.day, self.secondOfDay) = (year, month, day, time)
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`.
    private static func imfFixdate(_ b: [UInt8]) -> Fields? {
        guard b.count == 29, Self.name(b[0..<3], in: Self.weekdays) != nil, b[3...4].elementsEqual(", ".utf8),
            let day = Self.number(b[5..<7]), b[7] == 0x20, let month = Self.name(b[8..<11], in: Self.months),
            b[11] == 0x20, let year = Self.number(b[12..<16]), b[16] == 0x20, let time = Self.timeOfDay(b[17..<25]),
            b[25...].elementsEqual(" GMT".utf8)
        else { return nil }
        return Fields(year: year, month: month + 1, day: day, time: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`.
    private static func rfc850(_ b: [UInt8], now: Date) -> Fields? {
        guard let comma = b.firstIndex(of: UInt8(ascii: ",")), Self.name(b[..<comma], in: Self.longWeekdays) != nil,
            b.count == comma + 24
        else { return nil }
        let r = b[(comma + 1)...]
        let at = r.startIndex
        guard r[at] == 0x20, let day = Self.number(r[at + 1..<at + 3]), r[at + 3] == UInt8(ascii: "-"),
            let month = Self.name(r[at + 4..<at + 7], in: Self.months), r[at + 7] == UInt8(ascii: "-"),
            let yy = Self.number(r[at + 8..<at + 10]), r[at + 10] == 0x20, let time = Self.timeOfDay(r[at + 11..<at + 19]),
            r[(at + 19)...].elementsEqual(" GMT".utf8)
        else { return nil }
        // The century that puts the date no more than 50 years after now.
        let today = FTPTimestamp.components(of: Self.writableSeconds(now.timeIntervalSince1970))
        let thisYear = Int(today.tm_year) + 1900
        let limit = (FTPTimestamp.days(year: thisYear + 50, month: Int(today.tm_mon) + 1, day: Int(today.tm_mday)),
                     Int(today.tm_hour) * 3600 + Int(today.tm_min) * 60 + Int(today.tm_sec))
        let candidate = thisYear - thisYear % 100 + yy
        let year = (FTPTimestamp.days(year: candidate, month: month + 1, day: day), time) > limit ? candidate - 100 : candidate
        return Fields(year: year, month: month + 1, day: day, time: time)
    }

    /// `Sun Nov  6 08:49:37 1994`: the day is two digits, or a space and one.
    private static func asctime(_ b: [UInt8]) -> Fields? {
        guard b.count == 24, Self.name(b[0..<3], in: Self.weekdays) != nil, b[3] == 0x20,
            let month = Self.name(b[4..<7], in: Self.months), b[7] == 0x20,
            let day = b[8] == 0x20 ? Self.number(b[9..<10]) : Self.number(b[8..<10]), b[10] == 0x20,
            let time = Self.timeOfDay(b[11..<19]), b[19] == 0x20, let year = Self.number(b[20..<24])
        else { return nil }
        return Fields(year: year, month: month + 1, day: day, time: time)
    }

    /// `HH:MM:SS` as seconds since midnight; a 60th second (a leap second) runs on into the next minute.
    private static func timeOfDay(_ b: ArraySlice<UInt8>) -> Int? {
        let at = b.startIndex
        guard b.count == 8, let hour = Self.number(b[at..<at + 2]), b[at + 2] == UInt8(ascii: ":"),
            let minute = Self.number(b[at + 3..<at + 5]), b[at + 5] == UInt8(ascii: ":"),
            let second = Self.number(b[at + 6..<at + 8]), hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    /// Seconds since 1970 kept within what the preferred format can write (NaN as 1970).
    private static func writableSeconds(_ t: TimeInterval) -> TimeInterval {
        t.isNaN ? 0 : min(max(t, Self.writable.lowerBound), Self.writable.upperBound)
    }

    /// The index of `bytes` in `names` (case-sensitive, as the RFC's grammar spells them).
    private static func name(_ bytes: ArraySlice<UInt8>, in names: [String]) -> Int? {
        names.firstIndex { $0.utf8.elementsEqual(bytes) }
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
