public import Foundation
import DiscordKit

/// The one formatter of the product for sizes, dates, latencies and progress, used by every front end.
public enum Format {
    /// Binary units, one decimal: `999 B`, `1.5 KiB`, `20.0 MiB`.
    public static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A byte count for people (`1.4 MiB`); a negative count is shown as `0 B`.
    public static func bytes(_ count: Int64) -> String { self.bytes(UInt64(max(count, 0))) }

    /// `2026-12-01 08:30 UTC`: one zone for everyone reading a shared listing.
    public static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// `0.4 ms`, `12.3 ms`, `1.20 s`.
    public static func latency(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }

    /// `[██████░░░░░░] 50% · 10.0 MiB of 20.0 MiB · 4.0 MiB/s`: DiscordKit's bar with this formatter's sizes.
    public static func progress(done: Int64, total: Int64?, elapsed: Duration, width: Int = 12) -> String {
        ProgressBar.render(done: done, total: total, elapsed: elapsed, width: width, bytes: { Self.bytes($0) })
    }
}
