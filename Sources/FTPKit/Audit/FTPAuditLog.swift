import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An audit log file: one JSON object per line (``FTPAuditRecord``), appended.
///
/// Sessions never wait for the disk: records are encoded where they happen and written in order by a serial
/// queue of the log's own. ``reopen()`` (ftpd calls it on `SIGHUP`) closes the file and opens the path again, so
/// a rotation tool can rename the file and signal the server, and no line is lost or split between the files.
public final class FTPAuditLog: FTPAuditSink {
    /// The file the records are appended to.
    public let path: String
    private let queue = DispatchQueue(label: "FTPAuditLog")
    /// Written on `queue` only; the lock makes that checkable.
    private let descriptor: Mutex<CInt>

    /// Opens (creating with mode 0600: the log names users and addresses) `path` for appending.
    public init(path: String) throws(FTPConfigurationError) {
        self.path = path
        self.descriptor = Mutex(try Self.open(path))
    }

    deinit { close(self.descriptor.withLock { $0 }) }

    private static func open(_ path: String) throws(FTPConfigurationError) -> CInt {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw FTPConfigurationError("cannot open audit log \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
        }
        return encoder
    }()

    public func record(_ record: FTPAuditRecord) {
        // JSONEncoder escapes control characters, so a file name with a newline cannot forge a second line.
        guard var encoded = try? Self.encoder.encode(record) else { return }
        encoded.append(UInt8(ascii: "\n"))
        let line = encoded
        self.queue.async {
            self.descriptor.withLock { fd in _ = line.withUnsafeBytes { writeAll(fd, $0) } }
        }
    }

    /// Opens the path again (after the file was renamed for rotation). On failure the current file stays open.
    public func reopen() throws(FTPConfigurationError) {
        let result: Result<Void, FTPConfigurationError> = self.queue.sync {
            do throws(FTPConfigurationError) {
                let fresh = try Self.open(self.path)
                self.descriptor.withLock { fd in
                    close(fd)
                    fd = fresh
                }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Waits until every record handed over so far is written.
    public func flush() {
        self.queue.sync {}
    }
}
