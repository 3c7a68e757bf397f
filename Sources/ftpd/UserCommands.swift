import ArgumentParser
import FTPKit
import Foundation

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a user, or set their password. The password is read from standard input.")

    @Option(help: "The users file (created if missing).")
    var users: String

    @Option(help: "The user's root directory inside the served directory, such as /alice.")
    var root: String?

    @Option(help: "Comma-separated permissions: read, write, delete, rename, mkdir, all.")
    var permissions: String?

    @Option(help: "PBKDF2-SHA256 iterations.")
    var iterations: Int = PasswordHasher.defaultIterations

    @Argument(help: "The user name.")
    var name: String

    func run() async throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        var file = UsersFile()
        if FileManager.default.fileExists(atPath: self.users) {
            do { file = try UsersFile(contentsOf: self.users) } catch { throw CommandFailure(error.message) }
        }
        do {
            try file.setUser(
                self.name, password: line, root: self.root,
                permissions: self.permissions.map { $0.split(separator: ",").map(String.init) },
                iterations: self.iterations)
        } catch {
            throw ValidationError(error.message)  // the name, root or permissions given
        }
        do { try file.write(to: self.users) } catch { throw CommandFailure(error.message) }
    }
}

struct RemoveUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a user.")

    @Option(help: "The users file.")
    var users: String

    @Argument(help: "The user name.")
    var name: String

    func run() async throws {
        do {
            var file = try UsersFile(contentsOf: self.users)
            guard file.entries.contains(where: { $0.name == self.name }) else {
                throw CommandFailure("no user '\(self.name)' in \(self.users)")
            }
            file.entries.removeAll { $0.name == self.name }
            try file.write(to: self.users)
        } catch let error as FTPConfigurationError {
            throw CommandFailure(error.message)
        }
    }
}
