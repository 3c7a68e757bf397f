package import Foundation

/// Reads a file read once at start (a configuration, a key or token file) to its end, whatever it is: a regular
/// file, a pipe (`--config <(…)`, `/dev/stdin`) or a /proc file. Foundation's `Data(contentsOf:)` answers
/// "permission denied" for a pipe and stops after the first page of a /proc file.
package enum WholeFile {
    /// The file's bytes; throws Foundation's error for a file that cannot be opened or read.
    package static func data(_ path: String) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        return try handle.readToEnd() ?? Data()  // nil: nothing to read
    }

    /// The file's text, which must be UTF-8.
    package static func text(_ path: String) throws -> String {
        guard let text = String(data: try self.data(path), encoding: .utf8) else {
            throw CocoaError(.fileReadInapplicableStringEncoding, userInfo: [NSFilePathErrorKey: path])
        }
        return text
    }
}
