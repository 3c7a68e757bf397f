/// The bot's commands, declared once: names, aliases and what each does. Front ends add their own arguments
/// (a console uploads a path, Discord an attachment) and render help from this list.
public struct BotCommand: Sendable, Hashable {
    /// The command's name (`upload` is typed `!upload` or `/upload`).
    public var name: String
    /// Other names that run it (Portuguese ones, short ones).
    public var aliases: [String]
    /// One line for help.
    public var summary: String

    /// A command of this name, aliases and help line.
    public init(_ name: String, aliases: [String] = [], summary: String) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
    }

    /// Store a file.
    public static let upload = BotCommand("upload", aliases: ["enviar"], summary: "Store a file in the cluster")
    /// Get a stored file back.
    public static let download = BotCommand("download", aliases: ["baixar"], summary: "Get a stored file")
    /// List the space's files.
    public static let list = BotCommand(
        "list", aliases: ["listar", "ls"], summary: "List stored files: all, or those a filter matches (part of a name, or *.pdf)")
    /// Delete a file.
    public static let delete = BotCommand(
        "delete", aliases: ["apagar", "rm"], summary: "Delete a stored file (its uploader or an admin)")
    /// The nodes' health.
    public static let status = BotCommand("status", summary: "Health, load and free space of each node")
    /// An expiring download link.
    public static let share = BotCommand(
        "share", aliases: ["link"], summary: "An expiring download link to a stored file, for files of any size")
    /// Revoke a file's links.
    public static let unshare = BotCommand("unshare", summary: "Revoke every link to a file")
    /// A one-time upload page.
    public static let uploadLink = BotCommand(
        "uploadlink", summary: "A one-time web page to upload a file bigger than a chat allows")
    /// Operator maintenance (drain, undrain, rebalance, scrub).
    public static let cluster = BotCommand(
        "cluster", summary: "Operators: drain NODE, undrain NODE, rebalance or scrub (admin roles only)")
    /// The command list.
    public static let help = BotCommand("help", aliases: ["ajuda"], summary: "Lists the commands")

    /// Every command, in the order help lists them.
    public static let all: [BotCommand] = [.upload, .download, .list, .delete, .share, .unshare, .uploadLink, .status, .cluster, .help]

    /// The command called `word` (a name or an alias, any case).
    public static func named(_ word: String) -> BotCommand? {
        let lower = word.lowercased()
        return self.all.first { $0.name == lower || $0.aliases.contains(lower) }
    }
}
