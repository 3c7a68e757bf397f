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

    /// What went wrong with a read, in the system's words (`No such file or directory`, `Permission denied`)
    /// rather than Foundation's decoration ("The operation could not be completed. The file doesn’t exist.").
    package static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if error.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(error.code)) {
            return String(cString: strerror(code.rawValue))
        }
        if error.domain == NSCocoaErrorDomain, error.code == CocoaError.fileReadInapplicableStringEncoding.rawValue {
            return "not UTF-8 text"
        }
        return error.localizedDescription
    }

    /// The file's text, which must be UTF-8.
    package static func text(_ path: String) throws -> String {
        guard let text = String(data: try self.data(path), encoding: .utf8) else {
            throw CocoaError(.fileReadInapplicableStringEncoding, userInfo: [NSFilePathErrorKey: path])
        }
        return text
    }
}
