package import Foundation
package import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `YYYYMMDDHHMMSS[.sss]` UTC time values of RFC 3659 (`MDTM`, `MFMT`, the `modify` fact).
package enum FTPTimestamp {
    package static func format(_ date: Date, fractional: Bool = false) -> String {
        var buffer = ByteBuffer()
        self.write(date, fractional: fractional, into: &buffer)
        return String(buffer: buffer)
    }

    /// ``format(_:fractional:)`` written into `buffer`, for MLSD's `modify` facts.
    package static func write(_ date: Date, fractional: Bool = false, into buffer: inout ByteBuffer) {
        let t = date.timeIntervalSince1970
        let c = components(of: t)
        let zero = UInt8(ascii: "0")
        buffer.writeDecimal(UInt64(max(0, c.tm_year + 1900)), width: 4, padding: zero)
        buffer.writeDecimal(UInt64(c.tm_mon + 1), width: 2, padding: zero)
        buffer.writeDecimal(UInt64(c.tm_mday), width: 2, padding: zero)
        buffer.writeDecimal(UInt64(c.tm_hour), width: 2, padding: zero)
        buffer.writeDecimal(UInt64(c.tm_min), width: 2, padding: zero)
        buffer.writeDecimal(UInt64(c.tm_sec), width: 2, padding: zero)
        if fractional {
            let millis = Int(((t - t.rounded(.down)) * 1000).rounded(.down))
            if millis > 0 {
                buffer.writeInteger(UInt8(ascii: "."))
                buffer.writeDecimal(UInt64(millis), width: 3, padding: zero)
            }
        }
    }

    /// Parses `YYYYMMDDHHMMSS` with optional fraction; `nil` for anything malformed or out of range. `strict` also
    /// refuses a day its month does not have (31 February), as a command's argument should be; what other servers
    /// send is read leniently, as timegm(3) would.
    package static func parse(_ text: String, strict: Bool = false) -> Date? {
        var text = text
        return text.withUTF8 { self.parse(utf8: UnsafeRawBufferPointer($0), strict: strict) }
    }

    /// ``parse(_:strict:)`` over the value's bytes, as a listing holds them (a `modify` fact per entry).
    package static func parse(utf8 t: UnsafeRawBufferPointer, strict: Bool = false) -> Date? {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let c = t[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            return value
        }
        guard t.count >= 14, let year = digits(0..<4), let month = digits(4..<6), let day = digits(6..<8),
            let hour = digits(8..<10), let minute = digits(10..<12), let second = digits(12..<14),
            year >= 1900, (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        if strict, day > self.daysIn(month: month, year: year) { return nil }
        var fraction = 0.0
        if t.count > 14 {
            // Up to nine digits after the point: exact as an integer, so the division rounds as parsing would.
            guard t[14] == UInt8(ascii: "."), t.count > 15, t.count - 15 <= 9, let f = digits(15..<t.count) else {
                return nil
            }
            var scale = 1.0
            for _ in 15..<t.count { scale *= 10 }
            fraction = Double(f) / scale
        }
        // As timegm(3) counts: an out-of-range day (31 February) runs on into the next month, a 60th second into
        // the next minute.
        let seconds = self.days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// The days `month` (1–12) has in `year` of the proleptic Gregorian calendar.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the date in the proleptic Gregorian calendar (the civil-from-days algorithm's
    /// inverse, as in H. Hinnant's "chrono-compatible low-level date algorithms").
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `Mon DD HH:MM` for recent files, `Mon DD  YYYY` otherwise, as `ls -l` prints them, written into `buffer`.
    package static func writeListStyle(_ date: Date, now: Date, into buffer: inout ByteBuffer) {
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        let c = components(of: date.timeIntervalSince1970)
        let month = Int(c.tm_mon) * 3
        _ = months.withUTF8Buffer { buffer.writeBytes(UnsafeBufferPointer(rebasing: $0[month..<month + 3])) }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeDecimal(UInt64(c.tm_mday), width: 2, padding: UInt8(ascii: " "))
        let age = now.timeIntervalSince(date)
        if age < 180 * 86400 && age > -86400 {
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeDecimal(UInt64(c.tm_hour), width: 2, padding: UInt8(ascii: "0"))
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeDecimal(UInt64(c.tm_min), width: 2, padding: UInt8(ascii: "0"))
        } else {
            buffer.writeStaticString("  ")
            buffer.writeDecimal(UInt64(max(0, c.tm_year + 1900)), width: 4, padding: UInt8(ascii: " "))
        }
    }

    /// The UTC calendar fields of `t` seconds since 1970 (rounded down), weekday included.
    package static func components(of t: Double) -> tm {
        var seconds = time_t(t.rounded(.down))
        var c = tm()
        gmtime_r(&seconds, &c)
        return c
    }
}
