import ArgumentParser
import FTPKit
import Foundation

struct AddUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a user, or set their password.",
        discussion: "At a terminal the password is asked twice and not shown; otherwise it is the first line of standard input.")

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

    private var permissionNames: [String]? { self.permissions.map { $0.split(separator: ",").map(String.init) } }

    /// Before the password is asked for: a name, root or permission list that will be refused says so first.
    func validate() throws {
        do {
            try UsersFile.check(
                name: self.name, root: self.root, permissions: self.permissionNames, iterations: self.iterations)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var file = UsersFile()
        if FileManager.default.fileExists(atPath: self.users) {
            do { file = try UsersFile(contentsOf: self.users) } catch { throw CommandFailure(error.message) }
        }
        let password = try PasswordPrompt.read(for: self.name)
        do {
            try file.setUser(
                self.name, password: password, root: self.root,
                permissions: self.permissionNames, iterations: self.iterations)
        } catch {
            throw CommandFailure(error.message)  // an empty password: the rest was validated
        }
        do { try file.write(to: self.users) } catch { throw CommandFailure(error.message) }
        if FTPUser.anonymousNames.contains(self.name.lowercased()) {
            // Legitimate on a server without --anonymous; with it, ftpd refuses to start, so say so now.
            FileHandle.standardError.write(Data(
                "note: '\(self.name)' is an anonymous login name: a server started with --anonymous refuses this users file\n".utf8))
        }
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

struct ListUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the users: name, root, permissions and limits (never the hashes).")

    @Option(help: "The users file.")
    var users: String

    func run() async throws {
        let file: UsersFile
        do { file = try UsersFile(contentsOf: self.users) } catch { throw CommandFailure(error.message) }
        var out = ""
        for entry in file.entries {
            var fields = [entry.name, "root=\(entry.root ?? "/")", "permissions=\((entry.permissions ?? ["all"]).joined(separator: ","))"]
            if let bytes = entry.quotaBytes { fields.append("quota-bytes=\(bytes)") }
            if let files = entry.quotaFiles { fields.append("quota-files=\(files)") }
            if let rate = entry.uploadRate { fields.append("upload-rate=\(rate)/s") }
            if let rate = entry.downloadRate { fields.append("download-rate=\(rate)/s") }
            if let sessions = entry.maxSessions { fields.append("max-sessions=\(sessions)") }
            if let allow = entry.allow { fields.append("allow=\(allow.joined(separator: ","))") }
            if let deny = entry.deny { fields.append("deny=\(deny.joined(separator: ","))") }
            out += fields.joined(separator: "  ") + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
