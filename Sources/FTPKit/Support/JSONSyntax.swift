package import Foundation

/// Where a hand-written JSON file (a configuration, a users file) first breaks, said as a person fixing it needs it:
/// a line and a column. `JSONDecoder` only says "The given data was not valid JSON." on Linux, with no place and no
/// underlying error; `JSONSerialization` names the byte where it stopped, which this turns into a line and column.
package enum JSONSyntax {
    /// What is wrong, as a phrase that reads after "the file is" or "FILE:" ("not valid JSON: invalid value at line 3,
    /// column 10"), or nil when `data` parses.
    package static func problem(in data: Data) -> String? {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return "empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            return Self.describe(detail: detail, in: data)
        }
    }

    /// The phrase for the parser's own message `detail` (e.g. "Invalid value around character 24.").
    package static func describe(detail: String, in data: Data) -> String {
        let plain = detail.hasSuffix(".") ? String(detail.dropLast()) : detail
        if plain.hasPrefix("Unexpected end of file") {
            return "not valid JSON: it ends too early (an unclosed '{', '[' or string?)"
        }
        // "Number 1e400 is not representable in Swift.": placed by finding the number's text.
        if plain.hasPrefix("Number "), let end = plain.range(of: " is not representable") {
            let number = String(plain[plain.index(plain.startIndex, offsetBy: 7)..<end.lowerBound])
            guard let at = data.firstRange(of: Data(number.utf8)) else { return "not valid JSON: the number \(number) is out of range" }
            let (line, column) = Self.lineAndColumn(ofByte: at.lowerBound - data.startIndex, in: data)
            return "not valid JSON: the number \(number) is out of range at line \(line), column \(column)"
        }
        let marker = " around character "
        guard let range = plain.range(of: marker), let offset = Int(plain[range.upperBound...]) else {
            return "not valid JSON"
        }
        let reason = plain[..<range.lowerBound]
        let lowered = reason.prefix(1).lowercased() + reason.dropFirst()
        let (line, column) = Self.lineAndColumn(ofByte: offset, in: data)
        return "not valid JSON: \(lowered) at line \(line), column \(column)"
    }

    /// The 1-based line and column (in characters, not bytes) of the byte at `offset`.
    package static func lineAndColumn(ofByte offset: Int, in data: Data) -> (line: Int, column: Int) {
        let end = min(max(offset, 0), data.count)
        let before = data.prefix(end)
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? before.startIndex
        // Count scalars, not bytes: a column after "é" is one further, not two.
        let column = String(decoding: before[lineStart...], as: UTF8.self).unicodeScalars.count + 1
        return (line, column)
    }
}
