/// One node's health for `status`.
public struct NodeHealth: Sendable, Hashable {
    /// The node's name.
    public var name: String
    /// Whether the node answers (healthy, and its last check succeeded).
    public var isUp: Bool
    /// Bytes the cluster stores on it.
    public var usedBytes: UInt64
    /// Free bytes it reported, when it reports them (`AVBL`).
    public var freeBytes: UInt64?
    /// Transfers running to or from it now.
    public var activeTransfers: Int
    /// The round trip of its last health check.
    public var latency: Duration?
    /// Why it is down, in a few plain words ("connection refused").
    public var problem: String?
    /// Drained or being drained: takes no new files until `!cluster undrain`.
    public var isDraining = false
}
