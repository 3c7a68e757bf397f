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

    /// Parses `YYYYMMDDHHMMSS` with optional fraction; `nil` for anything malformed or out of range.
    package static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = Array(parts[0].utf8)
        guard main.count == 14, main.allSatisfy({ (48...57).contains($0) }) else { return nil }
        func n(_ a: Int, _ b: Int) -> Int32 { Int32(String(decoding: main[a..<b], as: UTF8.self))! }
        var tm = tm()
        tm.tm_year = n(0, 4) - 1900
        tm.tm_mon = n(4, 6) - 1
        tm.tm_mday = n(6, 8)
        tm.tm_hour = n(8, 10)
        tm.tm_min = n(10, 12)
        tm.tm_sec = n(12, 14)
        guard (0...11).contains(tm.tm_mon), (1...31).contains(tm.tm_mday), (0...23).contains(tm.tm_hour),
            (0...59).contains(tm.tm_min), (0...60).contains(tm.tm_sec), tm.tm_year >= 0
        else { return nil }
        let seconds = timegm(&tm)
        var fraction = 0.0
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 9, parts[1].allSatisfy(\.isASCIIDigit),
                let f = Double("0." + parts[1])
            else { return nil }
            fraction = f
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `Mon DD HH:MM` for recent files, `Mon DD  YYYY` otherwise, as `ls -l` prints them, written into `buffer`.
    package static func writeListStyle(_ date: Date, now: Date, into buffer: inout ByteBuffer) {
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        let c = components(of: date.timeIntervalSince1970)
        let month = Int(c.tm_mon) * 3
        months.withUTF8Buffer { buffer.writeBytes(UnsafeBufferPointer(rebasing: $0[month..<month + 3])) }
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

    private static func components(of t: Double) -> tm {
        var seconds = time_t(t.rounded(.down))
        var c = tm()
        gmtime_r(&seconds, &c)
        return c
    }
}
