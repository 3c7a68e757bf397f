import Foundation

/// Lines for the person at the terminal (standard output stays the console's). Failures start "Error: " as
/// ArgumentParser's do, so ftpbot's own checks read like its option errors and like ftpd's.
enum StandardError {
    static func write(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    static func error(_ message: String) { Self.write("Error: " + message) }
}
