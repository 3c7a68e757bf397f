/// One node's health as status displays show it.
public struct NodeStatus: Sendable {
    /// The node's name.
    public var name: String
    /// The figures placement uses; `load.isHealthy` is the circuit breaker's view (usable, or ready for a probe).
    public var load: NodeLoad
    /// The last health check's NOOP round trip.
    public var latency: Duration?
    /// Why the last health check or transfer on this node failed; `nil` once a check succeeded.
    public var lastError: String?
    /// Being drained (``Cluster/drain(_:progress:)``): nothing new is placed on it until ``Cluster/undrain(_:)``,
    /// also after a drain that could not move every replica.
    public var isDraining: Bool

    /// A status line's figures.
    public init(name: String, load: NodeLoad, latency: Duration?, lastError: String?, isDraining: Bool = false) {
        self.isDraining = isDraining
        self.name = name
        self.load = load
        self.latency = latency
        self.lastError = lastError
    }

    /// Up for a person reading a status: the breaker lets requests through and nothing has failed since the last
    /// good check. A node that just stopped answering stays usable for placement until its breaker opens (a few
    /// failures), but is not shown as up.
    public var isUp: Bool { self.load.isHealthy && self.lastError == nil }
}
