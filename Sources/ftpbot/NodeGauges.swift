import Balancer
import Metrics

/// Publishes each node's health, used and free bytes as gauges, every 15 seconds.
enum NodeGauges {
    static func run(cluster: Cluster) async {
        while !Task.isCancelled {
            for node in await cluster.status() {
                let dimensions = [("node", node.name)]
                Gauge(label: "seed_node_up", dimensions: dimensions).record(node.isUp ? 1 : 0)
                Gauge(label: "seed_node_draining", dimensions: dimensions).record(node.isDraining ? 1 : 0)
                Gauge(label: "seed_node_used_bytes", dimensions: dimensions).record(Int64(clamping: node.load.usedBytes))
                if let free = node.load.freeBytes {
                    Gauge(label: "seed_node_free_bytes", dimensions: dimensions).record(Int64(clamping: free))
                }
            }
            try? await Task.sleep(for: .seconds(15))
        }
    }
}
