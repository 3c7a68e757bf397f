import Balancer
import Logging

/// The cluster a configuration describes, over a catalog already opened: the nodes it names, or else the embedded
/// default's local nodes (started here, returned for the caller to stop), and its placement and checks. When the
/// cluster cannot be made, what was started is stopped and the catalog closed.
enum ClusterWiring {
    static func open(
        _ configuration: BotConfiguration, catalog store: any CatalogStore, data: String,
        environment: [String: String], logger: Logger
    ) async throws -> (cluster: Cluster, local: LocalNodes?) {
        var local: LocalNodes?
        do {
            let nodes: [NodeConfiguration]
            if configuration.nodes != nil {
                nodes = try configuration.nodeConfigurations(environment: environment)
            } else {
                let started = try await LocalNodes.start(count: configuration.localNodes ?? 3, under: data)
                local = started
                nodes = started.configurations
            }
            let cluster = try await Cluster(
                nodes: nodes, strategy: PlacementStrategies.named(configuration.strategy ?? "least-used") ?? LeastUsedBytes(),
                replicas: configuration.replicas, catalog: store, downloadCheck: configuration.check, logger: logger)
            return (cluster, local)
        } catch {
            await local?.stop()
            await store.close()
            throw error
        }
    }
}
