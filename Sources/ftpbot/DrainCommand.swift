import ArgumentParser
import Balancer

/// `ftpbot drain NODE`: empties a node before it is retired (or `--undo` puts it back).
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Copy every replica off a node and keep new files off it (safe to interrupt and run again).")

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: "Put the node back in service instead.")
    var undo = false

    @Argument(help: "The node's name.")
    var node: String

    func run() async throws {
        try await ClusterOptions.reportingFailures {
            let report: OperationReport? = try await self.cluster.withCluster(inBot: "!cluster \(self.undo ? "undrain" : "drain") \(self.node)") { cluster in
                if self.undo {
                    try await cluster.undrain(self.node)
                    return nil
                }
                let node = self.node
                return try await ClusterOptions.interruptible { try await cluster.drain(node) { print($0) } }
            }
            if let report { try ClusterOptions.finish(report) } else { print("\(self.node) is in service again.") }
        }
    }
}
