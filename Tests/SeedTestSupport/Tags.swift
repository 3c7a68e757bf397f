import Foundation
public import Testing

/// Every suite carries one of these tags, and the matching ``Trait/inTestSet(_:)`` condition, so one kind runs by
/// itself: `SEED_TESTS=unit swift test` runs the unit set in seconds and reports the others as skipped
/// (`SEED_TESTS=unit,interop` runs two kinds; unset runs everything). Tools that filter on tags can use the tags
/// directly. README, "Tests".
extension Tag {
    /// In-process and quick: parsers, state machines, in-memory servers on loopback.
    @Tag public static var unit: Self
    /// Against software nobody here wrote: curl, ftplib, lftp, vsftpd, pyftpdlib, discord.py, PostgreSQL, HAProxy,
    /// a browser. Needs what `scripts/setup` installs.
    @Tag public static var interop: Self
    /// Our own programs as processes (ftpd, ftpbot, the emulator), races run thousands of times, or real timeouts:
    /// seconds to minutes each.
    @Tag public static var slow: Self
}

/// The kinds of test this run includes, from `SEED_TESTS` (comma-separated tag names).
public enum TestSet {
    public static let selected: Set<String>? = ProcessInfo.processInfo.environment["SEED_TESTS"].map {
        Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    public static func includes(_ kind: Tag) -> Bool {
        guard let selected else { return true }
        return selected.contains(String(describing: kind).replacingOccurrences(of: ".", with: ""))
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only when `SEED_TESTS` is unset or names `kind`.
    public static func inTestSet(_ kind: Tag) -> Self {
        .enabled(if: TestSet.includes(kind), Comment(rawValue: "SEED_TESTS leaves out \(kind)"))
    }
}
