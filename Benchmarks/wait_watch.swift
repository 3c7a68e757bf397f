// What a stall watch costs per piece read, three ways: calling the reader directly (no watch), one task per
// wait that a long-lived watchdog can cancel (what DiscordKit's PeerWaitWatch does), and racing each wait
// against a timer task in a task group. Build: swiftc -O -parse-as-library Benchmarks/wait_watch.swift -o /tmp/ww
import Foundation

actor Source {
    var n = 0
    func next() -> Int? { n += 1; return n }
}

struct Stalled: Error {}

@main struct WaitWatch {
    static func main() async throws {
        // Off the main actor, as a transfer runs.
        try await Task.detached { try await run() }.value
    }

    static func run() async throws {
        let source = Source()
        let count = 200_000
        var start = ContinuousClock.now
        for _ in 0..<count { _ = await source.next() }
        let plain = (ContinuousClock.now - start) / count
        start = .now
        for _ in 0..<count {
            let task = Task { await source.next() }
            _ = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        }
        let taskPerWait = (ContinuousClock.now - start) / count
        start = .now
        for _ in 0..<count {
            _ = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { await source.next() }
                group.addTask { try await Task.sleep(for: .seconds(60)); throw Stalled() }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        }
        let timerRace = (ContinuousClock.now - start) / count
        print("per piece: direct \(plain), task per wait \(taskPerWait), timer race \(timerRace)")
    }
}
