import Synchronization

/// Progress lines collected from a long operation, for front ends that answer once at the end.
final class LineBuffer: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { self.lines.withLock { $0 } }
    func add(_ line: String) { self.lines.withLock { $0.append(line) } }
}
