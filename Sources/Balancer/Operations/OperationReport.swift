/// What an operator command (drain, rebalance, scrub) did. Each command is safe to interrupt and run again:
/// every file it finished is recorded in the catalog before it goes on to the next, and an interrupt (cancelling
/// the command's task) takes effect between files, never halfway through a copy and its record.
public struct OperationReport: Sendable, Hashable, CustomStringConvertible {
    /// Files looked at.
    public var examined = 0
    /// Replicas copied to another node (or restored in place by a scrub).
    public var copied = 0
    /// Replicas removed (a drained node's, a rebalanced node's, or a corrupt one).
    public var removed = 0
    /// Replicas whose bytes did not match the recorded SHA-256 (scrub).
    public var corrupt = 0
    /// Replicas that could not be checked because their node did not answer (scrub).
    public var unreachable = 0
    /// What could not be done, one sentence each.
    public var problems: [String] = []
    /// The command was interrupted before it went through every file: run it again to finish.
    public var interrupted = false

    /// An empty report, filled in as the operation goes.
    public init() {}

    /// Marks the command interrupted and says so, once, on `progress` (`done`: "3 of 9 files", "2 moves").
    mutating func interrupt(after done: String, _ progress: (String) -> Void) {
        self.interrupted = true
        progress("interrupted after \(done); run it again to finish")
    }

    /// Adds one file's step to the whole command's report.
    mutating func add(_ step: OperationReport) {
        self.examined += step.examined
        self.copied += step.copied
        self.removed += step.removed
        self.corrupt += step.corrupt
        self.unreachable += step.unreachable
        self.problems += step.problems
    }

    public var description: String {
        var parts = ["\(self.examined) files examined", "\(self.copied) replicas copied", "\(self.removed) removed"]
        if self.corrupt > 0 { parts.append("\(self.corrupt) corrupt") }
        if self.unreachable > 0 { parts.append("\(self.unreachable) not reachable") }
        if !self.problems.isEmpty { parts.append("\(self.problems.count) problems") }
        if self.interrupted { parts.append("interrupted (run it again to finish)") }
        return parts.joined(separator: ", ")
    }
}
