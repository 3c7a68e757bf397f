import Foundation

/// Byte counts as operators write them in configuration: `1048576`, `512K`, `10M`, `2G`, `1T` (binary
/// multiples, any case; a trailing `B` or `iB` is accepted, so `10MiB`, `10MB` and `10m` all mean 10 × 2²⁰).
public enum FTPByteCount {
    /// The count, or `nil` for anything that is not a whole non-negative number with an optional unit.
    public static func parse(_ text: String) -> UInt64? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits = digits.dropLast(suffix.count)
            break
        }
        var shift: UInt64 = 0
        if let last = digits.last, let index = "KMGT".firstIndex(of: last) {
            shift = 10 * UInt64("KMGT".distance(from: "KMGT".startIndex, to: index) + 1)
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = UInt64(digits) else {
            return nil
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : result
    }

    /// The shortest exact spelling: `10M` for 10 485 760, `1500` for 1500.
    public static func format(_ value: UInt64) -> String {
        for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] where value > 0 && value % (1 << UInt64(shift)) == 0 {
            return "\(value >> UInt64(shift))\(unit)"
        }
        return "\(value)"
    }
}
