import Foundation

/// Lines from standard input as an async sequence, read on a thread of their own so a waiting terminal or pipe
/// never blocks a task.
enum StandardInput {
    static func lines() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
