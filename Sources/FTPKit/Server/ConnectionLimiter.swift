import Synchronization

/// Counts sessions overall and per client address.
final class ConnectionLimiter: Sendable {
    private let counts = Mutex<(total: Int, perAddress: [String: Int])>((0, [:]))
    let maxTotal: Int
    let maxPerAddress: Int

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    enum Refusal: Equatable { case serverFull, addressFull }

    /// Takes a slot for `address`, or says why not. Every successful call must be paired with ``release(_:)``.
    func acquire(_ address: String) -> Refusal? {
        self.counts.withLock { c in
            if c.total >= self.maxTotal { return .serverFull }
            if c.perAddress[address, default: 0] >= self.maxPerAddress { return .addressFull }
            c.total += 1
            c.perAddress[address, default: 0] += 1
            return nil
        }
    }

    func release(_ address: String) {
        self.counts.withLock { c in
            c.total -= 1
            let n = c.perAddress[address, default: 1] - 1
            c.perAddress[address] = n > 0 ? n : nil
        }
    }

    var total: Int { self.counts.withLock { $0.total } }

    private let users = Mutex<[String: Int]>([:])

    /// Takes one of `limit` session slots of `user`; `false` when all are taken. Pair with ``releaseUser(_:)``.
    func acquireUser(_ user: String, limit: Int) -> Bool {
        self.users.withLock { u in
            guard u[user, default: 0] < limit else { return false }
            u[user, default: 0] += 1
            return true
        }
    }

    func releaseUser(_ user: String) {
        self.users.withLock { u in
            let n = u[user, default: 1] - 1
            u[user] = n > 0 ? n : nil
        }
    }
}
