/// One-at-a-time sections per file inside the cluster actor: a commit, a delete, a repair or a pending deletion of
/// one file never interleaves with another of the same file across their `await`s. Waiters are served in order.
///
/// Holds are short (renames and catalog writes, or one replica copy during repair), so a waiter does not give up
/// its turn when its task is cancelled: it takes the lock, and the section sees the cancellation.
struct FileLocks {
    private var held: Set<FileKey> = []
    private var waiters: [FileKey: [CheckedContinuation<Void, Never>]] = [:]

    /// Takes the lock if free (`true`); otherwise the caller must wait with ``enqueue(_:_:)``.
    mutating func tryAcquire(_ key: FileKey) -> Bool { self.held.insert(key).inserted }

    mutating func enqueue(_ key: FileKey, _ waiter: CheckedContinuation<Void, Never>) {
        self.waiters[key, default: []].append(waiter)
    }

    /// Passes the lock to the next waiter (returned, to resume) or frees it.
    mutating func release(_ key: FileKey) -> CheckedContinuation<Void, Never>? {
        if var queue = self.waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            self.waiters[key] = queue.isEmpty ? nil : queue
            return next  // still held: ownership moves to `next`
        }
        self.held.remove(key)
        return nil
    }
}
