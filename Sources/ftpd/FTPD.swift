import ArgumentParser

@main
struct FTPD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ftpd",
        abstract: "The Seed FTP server.",
        subcommands: [Serve.self, User.self, Certificate.self],
        defaultSubcommand: Serve.self
    )
}

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the users file.", subcommands: [AddUser.self, RemoveUser.self, ListUsers.self])
}
