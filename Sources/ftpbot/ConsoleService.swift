import FileBot
import Foundation
import Logging
import ServiceLifecycle

/// Console mode's front end as a service of the bot's group: commands from standard input, answers on standard
/// output, until end of input (which shuts the group down gracefully) or SIGTERM/SIGINT.
struct ConsoleService: Service {
    let console: ConsoleFrontEnd
    let web: WebService?
    /// Says where the bot stores files, for the banner on a terminal.
    let storedOn: String

    func run() async throws {
        // Where the links point, on standard error: standard output carries only the commands' answers.
        if let web {
            let url = try await web.publicURL()
            StandardError.write("Web links and upload pages: \(url)/")
        }
        if isatty(STDIN_FILENO) != 0 {
            FileHandle.standardOutput.write(Data("Seed file bot, console mode: \(self.storedOn). Type !help; Ctrl-D quits.\n".utf8))
        }
        for await line in StandardInput.lines().cancelOnGracefulShutdown() {
            let answer = await self.console.handle(line)
            // Written at once: a pipe's reader (a script waiting for a link) must not wait for the buffer to fill.
            if !answer.isEmpty { FileHandle.standardOutput.write(Data((answer + "\n").utf8)) }
        }
    }
}
