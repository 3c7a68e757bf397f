import Synchronization

/// Every quota-limited user's ``QuotaLedger``, shared by all sessions of one server: a user's concurrent sessions
/// charge the same ledger, so together they cannot pass the limit.
///
/// A ledger lives while its user has sessions. The first session's login counts what the user's root holds (a
/// walk of the directory tree); later sessions join that ledger, so its in-flight uploads stay counted. When the
/// last session ends the ledger goes, and the next login counts again — changes made behind the server's back
/// (another program writing into the root) are picked up then.
final class QuotaBook: Sendable {
    private struct Account: Sendable {
        var ledger: QuotaLedger
        var sessions: Int
    }

    private let accounts = Mutex<[String: Account]>([:])

    /// Joins `user`'s ledger, counting their storage first when no session has it open. The count runs without the
    /// lock; if another session opened the ledger meanwhile, that one is joined and this count dropped, so two
    /// logins never make two ledgers.
    func attach(
        user: String, quota: FTPQuota, count: @Sendable () async throws -> (bytes: UInt64, files: Int)
    ) async throws -> QuotaAccount {
        if self.join(user, quota: quota) { return QuotaAccount(book: self, user: user) }
        let usage = try await count()
        self.accounts.withLock { accounts in
            if var account = accounts[user], account.sessions > 0 {
                account.sessions += 1
                accounts[user] = account
            } else {
                accounts[user] = Account(ledger: QuotaLedger(quota: quota, usedBytes: usage.bytes, usedFiles: usage.files), sessions: 1)
            }
        }
        return QuotaAccount(book: self, user: user)
    }

    /// Joins an open ledger (taking a new quota from a reloaded users file); false when there is none.
    private func join(_ user: String, quota: FTPQuota) -> Bool {
        self.accounts.withLock { accounts in
            guard var account = accounts[user], account.sessions > 0 else { return false }
            account.sessions += 1
            if account.ledger.quota != quota { account.ledger = account.ledger.withQuota(quota) }
            accounts[user] = account
            return true
        }
    }

    /// A session of `user` ended.
    func detach(_ user: String) {
        self.accounts.withLock { accounts in
            guard var account = accounts[user] else { return }
            account.sessions -= 1
            if account.sessions <= 0, account.ledger.uploads.isEmpty {
                accounts.removeValue(forKey: user)
            } else {
                accounts[user] = account
            }
        }
    }

    /// Runs `body` on `user`'s ledger.
    func update<T>(_ user: String, _ body: (inout QuotaLedger) -> T) -> T? {
        self.accounts.withLock { accounts in
            guard var account = accounts[user] else { return nil }
            let result = body(&account.ledger)
            accounts[user] = account
            if account.sessions <= 0, account.ledger.uploads.isEmpty { accounts.removeValue(forKey: user) }
            return result
        }
    }
}

/// One session's hold on its user's ledger.
struct QuotaAccount: Sendable {
    let book: QuotaBook
    let user: String

    func begin(path: String, existing: UInt64?, keeps: UInt64) -> Result<Int, QuotaLedger.Refusal> {
        self.book.update(self.user) { $0.begin(path: path, existing: existing, keeps: keeps) } ?? .success(0)
    }

    func charge(_ id: Int, bytes: UInt64) -> Result<Void, QuotaLedger.Refusal> {
        self.book.update(self.user) { $0.charge(id, bytes: bytes) } ?? .success(())
    }

    func commit(_ id: Int, before: UInt64?, after: UInt64) {
        _ = self.book.update(self.user) { $0.commit(id, before: before, after: after) }
    }

    func abort(_ id: Int) {
        _ = self.book.update(self.user) { $0.abort(id) }
    }

    func removed(bytes: UInt64) {
        _ = self.book.update(self.user) { $0.removed(bytes: bytes) }
    }

    var remainingBytes: UInt64? { self.book.update(self.user) { $0.remainingBytes } ?? nil }

    func detach() { self.book.detach(self.user) }
}
