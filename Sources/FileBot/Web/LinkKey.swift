import FTPKit
import Foundation

/// The secret that signs links: from a file, or `FTPBOT_LINK_KEY` (64 hex digits), or made on first start into
/// the data directory (readable by its owner only). Replacing it revokes every link.
public enum LinkKey {
    /// Why no key could be had, in one sentence.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The key from `FTPBOT_LINK_KEY` in `environment`, else from `file`, else from `link.key` in `dataDirectory`
    /// (written there with mode 0600 on first start); a key too short, or a given file unreadable, throws, saying which.
    public static func load(file: String?, environment: [String: String], dataDirectory: String) throws(Failure) -> [UInt8] {
        if let hex = environment["FTPBOT_LINK_KEY"] {
            guard let key = Self.bytes(hex: hex), key.count >= 32 else {
                throw Failure(description: "FTPBOT_LINK_KEY must be at least 64 hex digits (32 bytes)")
            }
            return key
        }
        let path = file ?? dataDirectory + "/link.key"
        if let text = try? WholeFile.text(path) {
            guard let key = Self.bytes(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count >= 32 else {
                throw Failure(description: "\(path) must hold at least 64 hex digits (32 bytes)")
            }
            return key
        }
        guard file == nil else { throw Failure(description: "the link key file \(path) cannot be read") }
        var key = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in key.indices { key[i] = generator.next() }
        let hex = key.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create the link key \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = hex.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, hex.utf8.count) }
        guard written == hex.utf8.count else { throw Failure(description: "cannot write the link key \(path)") }
        return key
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}
