import ArgumentParser
import Balancer

/// `ftpbot scrub`: verifies every replica and repairs the bad ones.
struct ScrubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrub",
        abstract: "Check every replica against its SHA-256 and restore bad ones from a good copy.")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        try await ClusterOptions.reportingFailures {
            try ClusterOptions.finish(try await self.cluster.withCluster(inBot: "!cluster scrub") { cluster in
                try await ClusterOptions.interruptible { await cluster.scrub { print($0) } }
            })
        }
    }
}
