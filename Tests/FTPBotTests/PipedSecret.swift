import Foundation
import Synchronization

/// A named pipe that hands `text` to the first process to open it, as a process substitution (`<(pass show db)`)
/// or a secrets agent's pipe does. Whoever opens it again gets nothing (end of file at once) instead of waiting
/// for a writer that never comes, so a program that reads its secret twice fails the test rather than hanging it.
final class PipedSecret: Sendable {
    let path: String
    private let stopped = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)

    init(path: String, text: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        self.path = path
        Thread.detachNewThread { [self] in
            defer { self.finished.withLock { $0 = true } }
            // Blocks until the first reader opens the pipe (or `stop()` opens it to end the wait).
            let first = open(path, O_WRONLY)
            guard first >= 0 else { return }
            if !self.stopped.load(ordering: .acquiring) {
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { write(first, $0.baseAddress, $0.count) }
            }
            close(first)
            // Later readers: a writer that opens and closes at once gives them end of file.
            while !self.stopped.load(ordering: .acquiring) {
                let later = open(path, O_WRONLY | O_NONBLOCK)
                if later >= 0 { close(later) }
                usleep(20_000)
            }
        }
    }

    /// Ends the writer, also when nobody ever opened the pipe.
    func stop() {
        self.stopped.store(true, ordering: .releasing)
        while !self.finished.withLock({ $0 }) {
            let reader = open(self.path, O_RDONLY | O_NONBLOCK)
            if reader >= 0 { close(reader) }
            usleep(10_000)
        }
        unlink(self.path)
    }
}
