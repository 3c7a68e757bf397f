/// What a logged-in user may do.
public struct FTPPermissions: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Download files and list directories.
    public static let read = FTPPermissions(rawValue: 1 << 0)
    /// Upload (STOR, APPE, STOU) and set modification times.
    public static let write = FTPPermissions(rawValue: 1 << 1)
    /// Delete files (`DELE`) and remove directories (`RMD`).
    public static let delete = FTPPermissions(rawValue: 1 << 2)
    /// Rename files and directories (`RNFR`/`RNTO`).
    public static let rename = FTPPermissions(rawValue: 1 << 3)
    /// Create directories (`MKD`).
    public static let makeDirectory = FTPPermissions(rawValue: 1 << 4)

    /// Every permission.
    public static let all: FTPPermissions = [.read, .write, .delete, .rename, .makeDirectory]
    /// Downloads and listings only (what anonymous users should get).
    public static let readOnly: FTPPermissions = [.read]

    /// The names used in users files and configuration.
    public static let names: [(String, FTPPermissions)] = [
        ("read", .read), ("write", .write), ("delete", .delete), ("rename", .rename), ("mkdir", .makeDirectory),
    ]

    /// The permissions these names grant (`read`, `write`, `delete`, `rename`, `mkdir`, or `all`); an unknown name
    /// throws, naming it.
    public init(names: [String]) throws(FTPConfigurationError) {
        var p: FTPPermissions = []
        for name in names {
            if name == "all" { p.formUnion(.all); continue }
            guard let match = Self.names.first(where: { $0.0 == name }) else {
                throw FTPConfigurationError("unknown permission '\(name)' (use read, write, delete, rename, mkdir or all)")
            }
            p.insert(match.1)
        }
        self = p
    }

    /// The names of the permissions held, in the order of ``names``.
    public var nameList: [String] { Self.names.filter { self.contains($0.1) }.map(\.0) }
}

/// An authenticated user: the name, the directory of the storage that becomes their `/`, and their permissions.
public struct FTPUser: Sendable, Hashable {
    /// The login names that mean an anonymous login, in any case, when the server allows them
    /// (``FTPServerConfiguration/anonymousUser``): a users-file account of one of these names is never asked for.
    public static let anonymousNames: Set<String> = ["anonymous", "ftp"]

    /// The login name.
    public var name: String
    /// The directory of the storage that is this user's `/`; nothing above it can be reached.
    public var root: FTPPath
    /// What this user may do.
    public var permissions: FTPPermissions
    /// The most sessions this user may have at once (`nil`: the server's ``FTPServerConfiguration/maxSessionsPerUser``).
    public var maxSessions: Int?
    /// What this user may keep below their root (`nil`: the server's ``FTPServerConfiguration/defaultQuota``).
    public var quota: FTPQuota?
    /// This user's transfer rates, shared by their sessions (`nil`: the server's
    /// ``FTPServerConfiguration/userBandwidth``).
    public var bandwidth: FTPBandwidthLimits?

    /// A user; limits left `nil` fall back to the server's.
    public init(
        name: String, root: FTPPath = .root, permissions: FTPPermissions = .all, maxSessions: Int? = nil,
        quota: FTPQuota? = nil, bandwidth: FTPBandwidthLimits? = nil
    ) {
        self.name = name
        self.root = root
        self.permissions = permissions
        self.maxSessions = maxSessions
        self.quota = quota
        self.bandwidth = bandwidth
    }
}

/// A configuration problem, with a message that says what to fix.
public struct FTPConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and how to fix it, in one sentence.
    public var message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
