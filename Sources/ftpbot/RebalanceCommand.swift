import ArgumentParser
import Balancer

/// `ftpbot rebalance`: spreads replicas again after a node was added.
struct RebalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Move replicas until the most-used node is within 10% of the mean (after adding a node).")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await ClusterOptions.reportingFailures {
            try ClusterOptions.finish(try await self.cluster.withCluster(inBot: "!cluster rebalance") { cluster in
                try await ClusterOptions.interruptible { await cluster.rebalance { print($0) } }
            })
        }
    }
}
