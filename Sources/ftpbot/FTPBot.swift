import ArgumentParser

@main
struct FTPBot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftpbot",
        abstract: "The Seed file bot: files on a cluster of FTP servers, in front of Discord, a console and the web.",
        subcommands: [Serve.self, CatalogCommand.self, DrainCommand.self, RebalanceCommand.self, ScrubCommand.self],
        defaultSubcommand: Serve.self)
}
