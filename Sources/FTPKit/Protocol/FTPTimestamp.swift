package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `YYYYMMDDHHMMSS[.sss]` UTC time values of RFC 3659 (`MDTM`, `MFMT`, the `modify` fact).
package enum FTPTimestamp {
    package static func format(_ date: Date, fractional: Bool = false) -> String {
        let t = date.timeIntervalSince1970
        let c = components(of: t)
        var s = pad(c.tm_year + 1900, 4) + pad(c.tm_mon + 1, 2) + pad(c.tm_mday, 2)
        s += pad(c.tm_hour, 2) + pad(c.tm_min, 2) + pad(c.tm_sec, 2)
        if fractional {
            let millis = Int(((t - t.rounded(.down)) * 1000).rounded(.down))
            if millis > 0 { s += "." + pad(Int32(millis), 3) }
        }
        return s
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

    /// `Mon DD HH:MM` for recent files, `Mon DD  YYYY` otherwise, as `ls -l` prints them.
    package static func listStyle(_ date: Date, now: Date) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let c = components(of: date.timeIntervalSince1970)
        let day = c.tm_mday < 10 ? " \(c.tm_mday)" : "\(c.tm_mday)"
        let age = now.timeIntervalSince(date)
        if age < 180 * 86400 && age > -86400 {
            return "\(months[Int(c.tm_mon)]) \(day) \(pad(c.tm_hour, 2)):\(pad(c.tm_min, 2))"
        }
        return "\(months[Int(c.tm_mon)]) \(day)  \(c.tm_year + 1900)"
    }

    private static func components(of t: Double) -> tm {
        var seconds = time_t(t.rounded(.down))
        var c = tm()
        gmtime_r(&seconds, &c)
        return c
    }

    private static func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
