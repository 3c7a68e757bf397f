import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a new password for `ftpd user add`: at a terminal, asked twice on standard error with the terminal's echo
/// off, as `passwd` and `htpasswd` do (before, it was read like any line and shown as it was typed); from a pipe or
/// a file, the first line, so scripts keep working.
enum PasswordPrompt {
    static func read(for name: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CommandFailure("no password on standard input (pipe it in, or run this at a terminal)")
            }
            return line
        }
        let first = try self.ask("Password for \(name): ")
        guard !first.isEmpty else { throw CommandFailure("no password given") }
        guard try self.ask("The same password again: ") == first else {
            throw CommandFailure("the two passwords differ; nothing was changed")
        }
        return first
    }

    /// One line from the terminal with its echo off, put back as it was however the read ends. The echo goes off
    /// before the prompt shows, so nothing typed in answer to it is ever shown or discarded.
    private static func ask(_ prompt: String) throws -> String {
        var saved = termios()
        let quiet = tcgetattr(STDIN_FILENO, &saved) == 0
        if quiet {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)  // the Enter still moves to the next line
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        }
        defer { if quiet { tcsetattr(STDIN_FILENO, TCSANOW, &saved) } }
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true) else { throw CommandFailure("no password given") }
        return line
    }
}
