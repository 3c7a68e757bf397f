import Foundation

/// A minimal `multipart/form-data` reader for the emulator: enough to take Discord uploads apart and reject
/// what Discord would reject.
struct MultipartFormData {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var body: Data
    }

    enum Error: Swift.Error, CustomStringConvertible {
        case noBoundary, malformed(String)
        var description: String {
            switch self {
            case .noBoundary: "multipart body without a boundary"
            case .malformed(let why): "malformed multipart body: \(why)"
            }
        }
    }

    static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for piece in contentType.split(separator: ";") {
            let kv = piece.trimmingCharacters(in: .whitespaces)
            if kv.lowercased().hasPrefix("boundary=") {
                return String(kv.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func parse(_ body: Data, boundary: String) throws -> [Part] {
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Part] = []
        guard var cursor = body.range(of: delimiter)?.upperBound else { throw Error.malformed("no first boundary") }
        while true {
            // After a boundary: "--" ends the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { return parts }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else { throw Error.malformed("boundary not followed by CRLF") }
            cursor += 2
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: cursor..<body.endIndex) else {
                throw Error.malformed("part headers do not end")
            }
            let headerText = String(decoding: body[cursor..<headerEnd.lowerBound], as: UTF8.self)
            guard let next = body.range(of: Data("\r\n--\(boundary)".utf8), in: headerEnd.upperBound..<body.endIndex)
            else { throw Error.malformed("part does not end with a boundary") }
            var part = Part(name: "", filename: nil, contentType: nil, body: body[headerEnd.upperBound..<next.lowerBound])
            for line in headerText.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    part.name = Self.parameter("name", in: line) ?? ""
                    part.filename = Self.parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
            cursor = next.upperBound
        }
    }

    private static func parameter(_ name: String, in line: String) -> String? {
        guard let range = line.range(of: "\(name)=\"") else { return nil }
        let rest = line[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
