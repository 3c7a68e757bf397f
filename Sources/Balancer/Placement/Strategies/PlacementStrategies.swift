/// The strategies by name, for configuration files.
public enum PlacementStrategies {
    /// Every built-in strategy.
    public static let all: [any PlacementStrategy] = [
        LeastUsedBytes(), MostFreeSpace(), FewestActiveTransfers(), RoundRobin(), WeightedByCapacity(),
        PowerOfTwoChoices(), RendezvousHashing(),
    ]

    /// The built-in strategy with this ``PlacementStrategy/name`` (such as `least-used`), or `nil`.
    public static func named(_ name: String) -> (any PlacementStrategy)? {
        all.first { $0.name == name }
    }
}
