public import Foundation

/// A bot token. Its description never shows the secret, so it cannot leak through logs or error messages.
public struct BotToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Why a token could not be read.
    public enum LoadError: Error, Sendable, Hashable, CustomStringConvertible {
        case unreadableFile(path: String, reason: String)
        case empty(source: String)
        case malformed(source: String)

        public var description: String {
            switch self {
            case .unreadableFile(let path, let reason): "cannot read the Discord token file \(path): \(reason)"
            case .empty(let source): "the Discord token in \(source) is empty"
            case .malformed(let source):
                "the Discord token in \(source) contains spaces or control characters (paste the token only)"
            }
        }
    }

    /// The raw token, for the `Authorization` header only.
    public let secret: String

    /// A token of this secret, as it is (``init(validating:source:)`` checks one read from outside).
    public init(_ secret: String) { self.secret = secret }

    /// Validates a token read from `source` (an environment variable's name or a file path, for messages).
    public init(validating raw: String, source: String) throws(LoadError) {
        var token = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if token.hasPrefix("Bot ") { token.removeFirst(4) }
        guard !token.isEmpty else { throw .empty(source: source) }
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .malformed(source: source)
        }
        self.secret = token
    }

    /// `DISCORD_TOKEN`, else the file named by `DISCORD_TOKEN_FILE` (systemd credentials, Docker secrets);
    /// `nil` when neither is set.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        variable: String = "DISCORD_TOKEN", fileVariable: String = "DISCORD_TOKEN_FILE"
    ) throws(LoadError) -> BotToken? {
        if let value = environment[variable] {
            return try BotToken(validating: value, source: "$\(variable)")
        }
        if let path = environment[fileVariable] {
            let text: String
            do {
                // Read to its end through a handle: Foundation's String(contentsOfFile:) answers "permission
                // denied" for a pipe (DISCORD_TOKEN_FILE=/dev/stdin, or a process substitution).
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                guard let read = String(data: try handle.readToEnd() ?? Data(), encoding: .utf8) else {
                    throw CocoaError(.fileReadInapplicableStringEncoding)
                }
                text = read
            } catch {
                // The system's words (`No such file or directory`), not Foundation's "The operation could not be
                // completed. The file doesn’t exist."
                let error = error as NSError
                let posix = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap {
                    $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil
                }
                throw .unreadableFile(path: path, reason: posix.map { String(cString: strerror($0)) } ?? error.localizedDescription)
            }
            return try BotToken(validating: text, source: path)
        }
        return nil
    }

    public var description: String { "BotToken(redacted)" }
    public var debugDescription: String { self.description }

    var authorization: String { "Bot \(self.secret)" }
}
