/// What an operator may ask of the cluster from a chat or the console (``FileBot/maintain(_:node:by:progress:)``).
public enum ClusterAction: String, Sendable, Hashable, CaseIterable {
    /// Copy every replica off a node and keep new files off it.
    case drain
    /// Put a drained node back in service.
    case undrain
    /// Move replicas until the most-used node is within 10% of the mean.
    case rebalance
    /// Check every replica against its SHA-256 and restore bad ones.
    case scrub

    /// Whether the action names a node.
    public var needsNode: Bool { self == .drain || self == .undrain }

    /// The sentence shown for a `cluster` command that is not one of these.
    public static let usage = "Use: cluster drain NODE, cluster undrain NODE, cluster rebalance or cluster scrub."
}
