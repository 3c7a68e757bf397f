import Foundation

/// Renders transfer progress as one line of text: `[██████░░░░] 60% · 12.0 MiB of 20.0 MiB · 4.0 MiB/s`.
public enum ProgressBar {
    /// The line for `done` bytes of `total` (unknown: `nil`) after `elapsed`. Any values give a line: a total of
    /// zero or less counts as unknown, progress is shown between 0 and 100 %, and a width below zero as zero.
    /// - Parameter bytes: how sizes are written (``bytes(_:)`` by default; an application passes its own to keep one
    ///   style everywhere).
    public static func render(
        done: Int64, total: Int64?, elapsed: Duration, width: Int = 12, bytes: (Int64) -> String = ProgressBar.bytes
    ) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        // A rate past what Int64 holds (a huge count over a tiny time) is shown as the largest, not trapped on.
        let perSecond = Double(done) / seconds
        let rate = bytes(perSecond < 9.2e18 ? Int64(max(perSecond, -9.2e18)) : .max) + "/s"
        guard let total, total > 0 else { return "\(bytes(done)) · \(rate)" }
        let width = max(width, 0)
        let fraction = min(max(Double(done) / Double(total), 0), 1)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        return "[\(bar)] \(Int((fraction * 100).rounded(.down)))% · \(bytes(done)) of \(bytes(total)) · \(rate)"
    }

    /// Sizes in binary units, one decimal: `999 B`, `1.5 KiB`, `20.0 MiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(max(count, 0))
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(max(count, 0)) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// Shows a transfer's progress by editing the command's first answer: nothing for quick transfers, then an
/// update at most every `interval` (2 s keeps well inside Discord's message-edit limits). An edit that fails
/// (a 429, Discord down) is skipped, never failing the transfer.
public struct ProgressReporter: Sendable {
    /// What is in progress (`Uploading report.pdf`).
    public var title: String
    /// The total bytes, when known (without it the bar shows bytes only).
    public var total: Int64?
    /// Transfers shorter than this show no bar at all.
    public var showAfter: Duration
    /// How often the bar's message is edited.
    public var interval: Duration
    /// Draws the progress line from bytes done, the total and the time so far (``ProgressBar/render`` by default;
    /// an application passes its own formatter to keep one style of sizes everywhere).
    public var render: @Sendable (_ done: Int64, _ total: Int64?, _ elapsed: Duration) -> String

    /// A reporter; see each property.
    public init(
        title: String, total: Int64?, showAfter: Duration = .seconds(2), interval: Duration = .seconds(2),
        render: @escaping @Sendable (_ done: Int64, _ total: Int64?, _ elapsed: Duration) -> String = {
            ProgressBar.render(done: $0, total: $1, elapsed: $2)
        }
    ) {
        self.title = title
        self.total = total
        self.showAfter = showAfter
        self.interval = interval
        self.render = render
    }

    /// Runs `body` while reporting `progress()` (bytes done); returns whether a progress message was shown.
    public func run<T: Sendable>(
        replier: CommandReplier, progress: @escaping @Sendable () -> Int64,
        _ body: () async throws -> T
    ) async throws -> (result: T, shown: Bool) {
        let start = ContinuousClock.now
        let reporter = Task { () -> Bool in
            var shown = false
            do {
                try await Task.sleep(for: self.showAfter)
                while !Task.isCancelled {
                    let line = self.render(progress(), self.total, .now - start)
                    do {
                        try await replier.edit(MessagePayload(content: "\(self.title)\n\(line)"))
                        shown = true
                    } catch {}
                    try await Task.sleep(for: self.interval)
                }
            } catch {}
            return shown
        }
        do {
            let result = try await body()
            reporter.cancel()
            return (result, await reporter.value)
        } catch {
            reporter.cancel()
            _ = await reporter.value
            throw error
        }
    }
}
