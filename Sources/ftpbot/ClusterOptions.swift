import ArgumentParser
import Balancer
import Foundation
import Logging
import UnixSignals

/// Where an operator command finds the cluster: the bot's configuration, data directory and catalog.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The bot's JSON configuration file (also $FTPBOT_CONFIG).")
    var config: String?

    @Option(help: "The bot's data directory (local nodes, the default catalog; default .data/bot).")
    var data: String?

    @Option(help: "The catalog (also $FTPBOT_CATALOG): sqlite:PATH or postgres://USER@HOST:PORT/DB.")
    var catalog: String?

    /// Opens the cluster the bot would run (its local nodes too, when it has no configured ones), runs `body`,
    /// and closes everything. `inBot` is the same command in a running bot's console or chat, which an operator
    /// is pointed to when that bot holds an SQLite catalog.
    func withCluster<T>(inBot: String, _ body: (Cluster) async throws -> T) async throws -> T {
        let environment = ProcessInfo.processInfo.environment
        let (configuration, problems) = BotConfiguration.resolve(file: self.config, environment: environment) { c in
            if let v = self.data { c.dataDirectory = v }
            if let v = self.catalog { c.catalog = BotConfiguration.Catalog(url: v) }
        }
        guard problems.isEmpty else { throw OperatorFailure(problems.map(\.description).joined(separator: "\n")) }
        var logger = Logger(label: "ftpbot")
        logger.logLevel = .warning
        let data = configuration.dataDirectory ?? ".data/bot"
        // The catalog first: a bot running on this SQLite catalog refuses it, before any local node starts here.
        let store: any CatalogStore
        do {
            store = try await configuration.catalogLocation(data: data, environment: environment).open(logger: logger)
        } catch let error as ClusterError where error.code == .catalogInUse {
            throw OperatorFailure("\(error.message). Run `\(inBot)` in that bot's console or chat instead, or stop it "
                + "first (processes that share a cluster need a PostgreSQL catalog).")
        } catch {
            throw OperatorFailure("\(error)")
        }
        let (cluster, local): (Cluster, LocalNodes?)
        do {
            (cluster, local) = try await ClusterWiring.open(
                configuration, catalog: store, data: data, environment: environment, logger: logger)
        } catch { throw OperatorFailure("\(error)") }
        await cluster.refresh()
        do {
            let result = try await body(cluster)
            await cluster.close()
            await store.close()
            await local?.stop()
            return result
        } catch {
            await cluster.close()
            await store.close()
            await local?.stop()
            throw error
        }
    }

    /// Runs a command's work: a failure is one line on standard error and exit status 1.
    static func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            StandardError.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// Runs a drain, rebalance or scrub so that Ctrl-C (SIGINT) or SIGTERM interrupts it between files, where it is
    /// safe to stop, instead of killing the process halfway through a copy.
    static func interruptible(
        _ command: @escaping @Sendable () async throws -> OperationReport
    ) async throws -> OperationReport {
        try await withThrowingTaskGroup(of: OperationReport?.self) { group in
            group.addTask { try await command() }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                    StandardError.write("interrupting after the file in progress...")
                    return nil
                }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let report = next { return report }
                // The signal: the command stops before its next file and returns its report.
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    /// Prints the report; a report with problems fails the command, an interrupted one exits with status 130.
    static func finish(_ report: OperationReport) throws {
        print(report.interrupted ? "Interrupted: \(report)." : "Done: \(report).")
        for problem in report.problems { StandardError.write("problem: \(problem)") }
        if report.interrupted { throw ExitCode(130) }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
