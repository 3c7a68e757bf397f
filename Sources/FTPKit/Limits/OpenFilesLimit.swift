public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`), which bounds how many clients a server can hold:
/// every session keeps its control connection open, and a transfer adds a data connection, a passive listener and
/// the file.
///
/// Shells, containers and service managers often start programs with a soft limit of 1024 while allowing far more
/// (the hard limit): a server that keeps the soft one runs out of descriptors long before its own session limit,
/// and its new clients wait unanswered. Servers raise it at start, as Go's runtime does for every program and
/// nginx's `worker_rlimit_nofile` does on request; ``raiseSoftLimit()`` does it for a program embedding the server.
public struct OpenFilesLimit: Sendable, Hashable, CustomStringConvertible {
    /// The limit in force.
    public var soft: UInt64
    /// The most the process may raise `soft` to without privileges.
    public var hard: UInt64

    /// Descriptors a server needs besides its sessions' control connections: event loops, their wake-up and timer
    /// descriptors, standard streams, logs, the metrics listener, and transfers in progress.
    public static let serverReserve: UInt64 = 64

    /// A limit pair as `getrlimit(RLIMIT_NOFILE)` reports it.
    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    public var description: String { "\(self.soft) (hard \(self.hard))" }

    /// The limit this process runs with now, or `nil` where it cannot be read.
    public static func current() -> OpenFilesLimit? {
        var limit = rlimit()
        guard Self.get(&limit) == 0 else { return nil }
        return OpenFilesLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// The limit a server should run with: the soft limit raised to the hard one. An unlimited hard limit (which
    /// the kernel does not take as a soft limit for descriptors) gives `ceiling`.
    public var raised: OpenFilesLimit {
        let target = self.hard == Self.unlimited ? Self.ceiling : self.hard
        return OpenFilesLimit(soft: max(self.soft, target), hard: self.hard)
    }

    #if canImport(Darwin)
    /// `RLIM_INFINITY` as these fields hold it (the C macro is a cast Swift does not import as a constant).
    public static let unlimited = UInt64(Int64.max)
    /// The most a soft limit may be where the hard one is unlimited (`OPEN_MAX`).
    public static let ceiling: UInt64 = 10_240
    #else
    /// `RLIM_INFINITY` as these fields hold it (the C macro is a cast Swift does not import as a constant).
    public static let unlimited = UInt64.max
    /// The most a soft limit may be where the hard one is unlimited (Linux's default `fs.nr_open`).
    public static let ceiling: UInt64 = 1 << 20
    #endif

    /// Raises the soft limit to ``raised``; returns the limits before and after (equal when nothing changed or the
    /// system refused), or `nil` where they cannot be read.
    @discardableResult
    public static func raiseSoftLimit() -> (before: OpenFilesLimit, after: OpenFilesLimit)? {
        guard let before = Self.current() else { return nil }
        let wanted = before.raised
        guard wanted.soft != before.soft else { return (before, before) }
        var limit = rlimit()
        limit.rlim_cur = rlim_t(wanted.soft)
        limit.rlim_max = rlim_t(before.hard)
        guard Self.set(&limit) == 0 else { return (before, before) }
        return (before, Self.current() ?? wanted)
    }

    /// ``raiseSoftLimit()`` for a program's start: logs the raise (`raised the open-files limit`, from, to) at info
    /// level and returns the limit in force after, or `nil` where it cannot be read.
    @discardableResult
    public static func raiseSoftLimit(logging logger: Logger) -> OpenFilesLimit? {
        guard let (before, after) = Self.raiseSoftLimit() else { return nil }
        if after.soft != before.soft {
            logger.info("raised the open-files limit", metadata: ["from": "\(before.soft)", "to": "\(after.soft)"])
        }
        return after
    }

    /// A sentence for the operator when `sessions` sessions at once (a server's session limit) may not fit under
    /// the soft limit, or `nil` when they fit.
    public func shortfall(sessions: Int) -> String? {
        let needed = UInt64(max(sessions, 0)) + Self.serverReserve
        guard self.soft < needed else { return nil }
        let fits = self.soft > Self.serverReserve ? self.soft - Self.serverReserve : 0
        return "the open-files limit (\(self.soft)) holds about \(fits) sessions, fewer than the session limit of "
            + "\(sessions): clients beyond that wait unanswered until sessions end (raise the hard limit, e.g. "
            + "ulimit -Hn or systemd's LimitNOFILE, or lower the session limit)"
    }

    #if canImport(Glibc)
    private static func get(_ limit: inout rlimit) -> Int32 { getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) }
    private static func set(_ limit: inout rlimit) -> Int32 { setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) }
    #else
    private static func get(_ limit: inout rlimit) -> Int32 { getrlimit(RLIMIT_NOFILE, &limit) }
    private static func set(_ limit: inout rlimit) -> Int32 { setrlimit(RLIMIT_NOFILE, &limit) }
    #endif
}
