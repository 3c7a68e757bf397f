/// One node's health as status displays show it.
public struct NodeStatus: Sendable {
    public var name: String
    /// The figures placement uses; `load.isHealthy` is the circuit breaker's view (usable, or ready for a probe).
    public var load: NodeLoad
    /// The last health check's NOOP round trip.
    public var latency: Duration?
    /// Why the last health check or transfer on this node failed; `nil` once a check succeeded.
    public var lastError: String?

    public init(name: String, load: NodeLoad, latency: Duration?, lastError: String?) {
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
