package import Foundation

/// The users file of `ftpd`: JSON with one entry per user.
///
/// ```json
/// { "users": [ { "name": "alice", "password": "pbkdf2-sha256$600000$…$…",
///                "root": "/alice", "permissions": ["read", "write", "delete", "rename", "mkdir"] } ] }
/// ```
/// `root` is a directory of the server's storage that becomes the user's `/` (default `/`).
public struct UsersFile: Sendable, Hashable {
    /// One user, as written in the file.
    public struct Entry: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
        /// The login name (letters, digits, `._-@`; at most 64).
        public var name: String
        /// The password hash made by ``PasswordHasher/hash(_:iterations:)``; anything else (plain text) is refused when the file
        /// is read.
        public var password: String
        /// The user's `/` in the server's storage (default `/`).
        public var root: String?
        /// Permission names (see ``FTPPermissions/init(names:)``); absent means `all`.
        public var permissions: [String]?
        /// CIDR blocks or addresses this user may log in from (empty or absent: anywhere the server allows).
        public var allow: [String]?
        /// CIDR blocks or addresses this user may never log in from.
        public var deny: [String]?
        /// The most sessions this user may have at once.
        public var maxSessions: Int?
        /// The most bytes this user's files may hold together, and the most files (see ``FTPQuota``).
        public var quotaBytes: FTPByteSize?
        /// The most files this user may keep (with ``quotaBytes``, see ``FTPQuota``).
        public var quotaFiles: Int?
        /// This user's transfer rates in bytes per second, shared by their sessions (see ``FTPBandwidthLimits``).
        public var uploadRate: FTPByteSize?
        /// The download rate in bytes per second (with ``uploadRate``).
        public var downloadRate: FTPByteSize?

        /// An entry; everything but the name and hash is optional.
        public init(
            name: String, password: String, root: String? = nil, permissions: [String]? = nil, allow: [String]? = nil,
            deny: [String]? = nil, maxSessions: Int? = nil, quotaBytes: FTPByteSize? = nil, quotaFiles: Int? = nil,
            uploadRate: FTPByteSize? = nil, downloadRate: FTPByteSize? = nil
        ) {
            self.maxSessions = maxSessions
            self.quotaBytes = quotaBytes
            self.quotaFiles = quotaFiles
            self.uploadRate = uploadRate
            self.downloadRate = downloadRate
            self.name = name
            self.password = password
            self.root = root
            self.permissions = permissions
            self.allow = allow
            self.deny = deny
        }

        /// The entry's quota, when it sets one.
        public var quota: FTPQuota? {
            guard self.quotaBytes != nil || self.quotaFiles != nil else { return nil }
            return FTPQuota(bytes: self.quotaBytes?.value, files: self.quotaFiles)
        }

        /// The entry's rates, when it sets any.
        public var bandwidth: FTPBandwidthLimits? {
            guard self.uploadRate != nil || self.downloadRate != nil else { return nil }
            return FTPBandwidthLimits(uploadBytesPerSecond: self.uploadRate?.value, downloadBytesPerSecond: self.downloadRate?.value)
        }

        /// `Entry(alice, root /alice, read, write)`: without the password hash (a hash can still be attacked
        /// offline, so it stays out of logs).
        public var description: String {
            "Entry(\(self.name), root \(self.root ?? "/"), \((self.permissions ?? ["all"]).joined(separator: ", ")))"
        }

        /// The same as ``description``.
        public var debugDescription: String { self.description }

        /// The entry's address policy (validated when the file is read).
        public var addressPolicy: FTPAddressPolicy {
            (try? FTPAddressPolicy(allow: self.allow ?? [], deny: self.deny ?? [])) ?? FTPAddressPolicy(deny: [
                // Unreachable for a file that was read through `UsersFile(contentsOf:)`; refuse everyone otherwise.
                .allIPv4, .allIPv6,
            ])
        }
    }

    private struct Document: Codable { var users: [Entry] }

    /// The users, in the file's order.
    public var entries: [Entry]

    /// A users file of these entries (not yet written anywhere).
    public init(entries: [Entry] = []) { self.entries = entries }

    /// Reads and validates a users file; every problem names the entry it is in.
    public init(contentsOf path: String) throws(FTPConfigurationError) {
        let data: Data
        do { data = try WholeFile.data(path) } catch {
            throw FTPConfigurationError("cannot read users file \(path): \(WholeFile.reason(error))")
        }
        try self.init(data: data, source: path)
    }

    /// Reads and validates a users file's content; `source` names it in messages.
    package init(data: Data, source path: String) throws(FTPConfigurationError) {
        if data.isEmpty { self.entries = []; return }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw FTPConfigurationError("users file \(path) is " + Self.describe(error, data: data))
        }
        var seen = Set<String>()
        for (i, e) in document.users.enumerated() {
            let at = "users file \(path), entry \(i + 1) ('\(e.name)')"
            guard Self.isValidName(e.name) else {
                throw FTPConfigurationError("\(at): invalid user name (1 to 64 ASCII letters, digits, '.', '_', '-' or '@')")
            }
            guard seen.insert(e.name).inserted else { throw FTPConfigurationError("\(at): duplicate user") }
            guard PasswordHasher.isWellFormed(e.password) else {
                throw FTPConfigurationError("\(at): password is not a pbkdf2-sha256 hash (use 'ftpd user add')")
            }
            if let root = e.root, !root.hasPrefix("/") { throw FTPConfigurationError("\(at): root must start with /") }
            do { _ = try FTPPermissions(names: e.permissions ?? ["all"]) } catch {
                throw FTPConfigurationError("\(at): \(error.message)")
            }
            if let n = e.maxSessions, n < 1 { throw FTPConfigurationError("\(at): maxSessions must be at least 1") }
            if let n = e.quotaFiles, n < 0 { throw FTPConfigurationError("\(at): quotaFiles must not be negative") }
            for (key, rate) in [("uploadRate", e.uploadRate), ("downloadRate", e.downloadRate)] {
                if let rate, rate.value < 1024 { throw FTPConfigurationError("\(at): \(key) must be at least 1K per second") }
            }
            do { _ = try FTPAddressPolicy(allow: e.allow ?? [], deny: e.deny ?? []) } catch {
                throw FTPConfigurationError("\(at): \(error)")
            }
        }
        self.entries = document.users
    }

    /// Whether `name` can be a login name: 1 to 64 ASCII letters, digits and `._-@`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-@".contains($0)) }
    }

    /// Writes the file whole (a server reloading it meanwhile reads the old or the new one): created readable by
    /// its owner only, or keeping the mode and owner of the file it replaces.
    public func write(to path: String) throws(FTPConfigurationError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(Document(users: self.entries)) } catch {
            throw FTPConfigurationError("cannot write users file \(path): \(error.localizedDescription)")
        }
        // Whole or not at all, and private: the file holds password hashes (a new one is 0600; an existing one
        // keeps its mode and owner).
        if let failure = FileReplacement.replace(path, with: data) {
            throw FTPConfigurationError("cannot write users file \(path): \(failure)")
        }
    }

    /// Whether ``setUser(_:password:root:permissions:iterations:)`` would take these (before a password is asked for).
    public static func check(name: String, root: String?, permissions: [String]?, iterations: Int) throws(FTPConfigurationError) {
        guard Self.isValidName(name) else {
            throw FTPConfigurationError("invalid user name \(name.debugDescription): use 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'")
        }
        if let root, !root.hasPrefix("/") { throw FTPConfigurationError("root must start with /") }
        if let permissions { _ = try FTPPermissions(names: permissions) }
        try PasswordHasher.check(iterations: iterations)
    }

    /// Adds a user or replaces their password, keeping root and permissions unless given.
    public mutating func setUser(
        _ name: String, password: String, root: String?, permissions: [String]?, iterations: Int
    ) throws(FTPConfigurationError) {
        try Self.check(name: name, root: root, permissions: permissions, iterations: iterations)
        guard !password.isEmpty else { throw FTPConfigurationError("the password is empty") }
        let hash = try PasswordHasher.hash(password, iterations: iterations)
        if let i = self.entries.firstIndex(where: { $0.name == name }) {
            self.entries[i].password = hash
            if let root { self.entries[i].root = root }
            if let permissions { self.entries[i].permissions = permissions }
        } else {
            self.entries.append(Entry(name: name, password: hash, root: root, permissions: permissions))
        }
    }

    /// What is wrong, as a phrase that reads after "the users file is".
    static func describe(_ error: any Error, data: Data) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let c) where !c.codingPath.isEmpty: return "not valid: \(path(c)): \(c.debugDescription)"
        case .dataCorrupted(let c):
            if let syntax = JSONSyntax.problem(in: data) { return syntax }
            if let misfit = JSONNumberMisfit.find(decoding: Document.self, in: data) { return "not valid: \(misfit.path): \(misfit.problem)" }
            return "not valid: \(c.debugDescription)"
        case .keyNotFound(let k, let c): return "not valid: missing '\(k.stringValue)' at \(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "not valid: wrong type at \(path(c))"
        default: return "not valid: \(error)"
        }
    }

    private static func path(_ c: DecodingError.Context) -> String {
        c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}
