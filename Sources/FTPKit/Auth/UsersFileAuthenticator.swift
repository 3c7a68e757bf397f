import Crypto
public import NIOPosix
import Synchronization

/// Authenticates against a ``UsersFile``. PBKDF2 runs on a thread pool so logins never stall an event loop.
///
/// Concurrent logins with the same name and password share one key derivation. A successful login is remembered
/// as a keyed digest of the password (the key is random per process), so a
/// client that logs in again with the same password costs one SHA-256 instead of a full KDF. The file's slow hash
/// is what protects passwords at rest; the cache lives only in this process's memory and is dropped on reload.
public final class UsersFileAuthenticator: FTPAuthenticator {
    private struct State {
        var users: [String: UsersFile.Entry]
        var verified: [String: [UInt8]] = [:]
        /// Key derivations under way, by user and password digest: concurrent logins with the same credentials
        /// (a client opening many sessions at once) wait for one derivation instead of each running its own.
        var running: [Attempt: Derivation] = [:]
    }

    private struct Derivation {
        let task: Task<Bool, Never>
        var logins: Int
    }

    private struct Attempt: Hashable {
        let user: String
        let digest: [UInt8]
    }

    private let state: Mutex<State>
    /// The users file as it was when last read, to notice it changed (``reloadIfChanged()``).
    private let readStamp: Mutex<FileStamp?>
    private let cacheKey: SymmetricKey
    private let threadPool: NIOThreadPool
    private let verifier: @Sendable (_ password: String, _ stored: String) -> Bool
    /// The users file followed, when the users came from one.
    public let path: String?

    /// Logins waiting for a key derivation (each derivation may serve several).
    package var loginsAwaitingDerivation: Int { self.state.withLock { $0.running.values.reduce(0) { $0 + $1.logins } } }

    /// Reads the users file at `path` (and again whenever it changes); key derivation runs on `threadPool`.
    public convenience init(path: String, threadPool: NIOThreadPool = .singleton) throws(FTPConfigurationError) {
        // Taken before the read: a change made while reading shows as a newer stamp, and is read again.
        let stamp = FileStamp(path: path)
        try self.init(file: UsersFile(contentsOf: path), path: path, threadPool: threadPool)
        self.readStamp.withLock { $0 = stamp }
    }

    /// Users already read; with `path`, the file is followed for changes from then on.
    public convenience init(file: UsersFile, path: String? = nil, threadPool: NIOThreadPool = .singleton) {
        self.init(file: file, path: path, threadPool: threadPool, verifier: PasswordHasher.verify)
    }

    /// `verifier` checks a password against a stored hash, on `threadPool` (tests count and hold its calls).
    package init(
        file: UsersFile, path: String? = nil, threadPool: NIOThreadPool,
        verifier: @escaping @Sendable (_ password: String, _ stored: String) -> Bool
    ) {
        self.verifier = verifier
        self.readStamp = Mutex(nil)
        self.state = Mutex(State(users: Dictionary(file.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })))
        // The system generator is the kernel's CSPRNG (getrandom(2)).
        self.cacheKey = SymmetricKey(size: .bits256)
        self.threadPool = threadPool
        self.path = path
    }

    /// The users' names, sorted.
    public var userNames: [String] { self.state.withLock { $0.users.keys.sorted() } }

    /// Re-reads the users file (for SIGHUP). On error the current users stay in force.
    public func reload() throws(FTPConfigurationError) {
        guard let path else { return }
        self.readStamp.withLock { $0 = FileStamp(path: path) }
        let file = try UsersFile(contentsOf: path)
        self.state.withLock {
            $0 = State(users: Dictionary(file.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// Re-reads the users file if it changed since it was last read (another inode, size or modification time),
    /// so that `ftpd user add`, `user remove` or an edit take effect on a running server: `ftpd` asks every two
    /// seconds. Returns whether it read the file. A file that cannot be read or parsed throws once and leaves the
    /// current users in force until the file changes again; a file gone missing changes nothing.
    @discardableResult
    public func reloadIfChanged() throws(FTPConfigurationError) -> Bool {
        guard let path, let stamp = FileStamp(path: path) else { return false }
        guard self.readStamp.withLock({ $0 }) != stamp else { return false }
        try self.reload()
        return true
    }

    public func authenticate(user: String, password: String, client: String) async -> FTPUser? {
        let entry = self.state.withLock { $0.users[user] }
        // Unknown users still cost a KDF so response time does not reveal which names exist.
        let stored = entry?.password ?? Self.decoyHash
        let digest = self.cacheDigest(stored: stored, password: password)
        let cached = self.state.withLock { $0.verified[user] }
        var ok: Bool
        if let entry, let cached, PasswordHasher.constantTimeEqual(cached, digest), entry.password == stored {
            ok = true
        } else {
            let attempt = Attempt(user: user, digest: digest)
            let pool = self.threadPool
            let verifier = self.verifier
            // Joined or started in one step under the lock, so two logins never both decide to start one.
            let derivation = self.state.withLock { state in
                if let running = state.running[attempt]?.task {
                    state.running[attempt]?.logins += 1
                    return running
                }
                let task = Task { (try? await pool.runIfActive { verifier(password, stored) }) ?? false }
                state.running[attempt] = Derivation(task: task, logins: 1)
                return task
            }
            ok = await derivation.value && entry != nil
            self.state.withLock { state in
                if state.running[attempt]?.task == derivation {
                    state.running[attempt]?.logins -= 1
                    if state.running[attempt]?.logins == 0 { state.running[attempt] = nil }
                }
                // Only if the users file was not reloaded meanwhile with another password for this user.
                if ok, state.users[user]?.password == stored { state.verified[user] = digest }
            }
        }
        guard ok, let entry else { return nil }
        // Checked after the password, so the answer (and its timing) is the same as for a wrong password: a client
        // at a refused address learns nothing about the account.
        guard entry.addressPolicy.permits(client) else { return nil }
        let permissions = (try? FTPPermissions(names: entry.permissions ?? ["all"])) ?? []
        return FTPUser(
            name: entry.name, root: FTPPath(entry.root ?? "/"), permissions: permissions, maxSessions: entry.maxSessions,
            quota: entry.quota, bandwidth: entry.bandwidth)
    }

    private func cacheDigest(stored: String, password: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(stored.utf8) + [0] + Array(password.utf8), using: self.cacheKey))
    }

    /// A valid hash of a random string, so unknown users go through the same work as known ones.
    private static let decoyHash: String = (try? PasswordHasher.hash(String(UInt64.random(in: 0...UInt64.max)))) ?? ""
}
