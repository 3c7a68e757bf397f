import ArgumentParser
import Balancer
import FTPKit
import Foundation
import Logging

/// `ftpbot catalog …`: operator commands on a catalog store.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Work on a catalog store.", subcommands: [Migrate.self])

    /// Copies a catalog between stores (SQLite ↔ PostgreSQL), verified by counts and checksum.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole catalog into an empty store, then verify the copy (counts and checksum).",
            discussion: """
                Stop the bots using the source first: what they write during the copy would be missing from it.
                Passwords come from --from-password-file / --to-password-file, else $PGPASSWORD.
                Example: ftpbot catalog migrate --from sqlite:.data/bot/catalog.sqlite --to postgres://bot@db:5432/files
                """)

        @Option(help: "The catalog to copy: sqlite:PATH or postgres://USER@HOST:PORT/DB.")
        var from: String

        @Option(help: "The empty catalog to copy into.")
        var to: String

        @Option(help: "A file holding the source's password.")
        var fromPasswordFile: String?

        @Option(help: "A file holding the target's password.")
        var toPasswordFile: String?

        func run() async throws {
            var logger = Logger(label: "ftpbot.catalog")
            logger.logLevel = .warning
            let environment = ProcessInfo.processInfo.environment
            do {
                let from = try Self.location(self.from, passwordFile: self.fromPasswordFile, environment)
                let to = try Self.location(self.to, passwordFile: self.toPasswordFile, environment)
                guard from.description != to.description else { throw StartupError("--from and --to name the same catalog") }
                // Opening an SQLite file creates it: a mistyped source would be copied as an empty catalog, "verified".
                if case .sqlite(let path) = from, !FileManager.default.fileExists(atPath: path) {
                    throw StartupError("the source catalog \(path) does not exist")
                }
                let source = try await from.open(logger: logger)
                let target: any CatalogStore
                do {
                    target = try await to.open(logger: logger)
                } catch {
                    await source.close()
                    throw error
                }
                let result: Result<CatalogCopy.Report, ClusterError>
                do {
                    result = .success(try await CatalogCopy.run(from: source, to: target))
                } catch {
                    result = .failure(error)
                }
                await source.close()
                await target.close()
                let report = try result.get()
                print("Copied \(report.counts) from \(source.location) to \(target.location); verified: the same counts and checksum \(report.checksum).")
            } catch {
                StandardError.error("\(error)")
                throw ExitCode(1)
            }
        }

        static func location(_ text: String, passwordFile: String?, _ environment: [String: String]) throws -> CatalogLocation {
            var password = environment["PGPASSWORD"]
            if let passwordFile {
                do {
                    password = try BotConfiguration.password(inFile: passwordFile)
                } catch {
                    throw ValidationError("the password file \(passwordFile) cannot be read (\(WholeFile.reason(error)))")
                }
            }
            return try CatalogLocation(parsing: text, password: password)
        }
    }
}
