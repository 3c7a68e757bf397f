import Synchronization

/// Bytes delivered so far, shared with the download's callbacks.
final class ProgressBox: Sendable {
    private let v = Mutex<UInt64>(0)
    var value: UInt64 { self.v.withLock { $0 } }
    func add(_ n: Int) { self.v.withLock { $0 += UInt64(n) } }
}
