import Balancer
import DiscordKit
import FileBot
import Testing
import SeedTestSupport

/// What a person reads when Discord fails a command: what happened and what to do, never a route or a stack.
@Suite(.tags(.unit), .inTestSet(.unit)) struct PlainWordsTests {
    static func sentence(_ error: DiscordRESTError) -> String { PlainWords.refusal(for: error).sentence() }

    @Test func discordFailuresSayWhatHappenedAndWhatToDo() {
        let attachment = "GET attachment"
        let cases: [(DiscordRESTError, String)] = [
            (.stalled(route: attachment, seconds: 60), "Discord stopped sending the attachment for 60 seconds; send it again."),
            (.stalled(route: attachment, seconds: 1), "Discord stopped sending the attachment for 1 second; send it again."),
            (.api(route: attachment, status: 404, code: nil, message: "x"), "Discord no longer serves that attachment; send it again."),
            (.transport(route: attachment, reason: "connection reset"), "the attachment could not be fetched from Discord; send it again."),
            (.stalled(route: "POST /channels/{channels}/messages", seconds: 60), "Discord stopped answering for 60 seconds; try again."),
            (.api(route: "POST /channels/{channels}/messages", status: 413, code: 40005, message: "Request entity too large"),
             "Discord refused it as too large for this channel."),
            (.api(route: "POST /channels/{channels}/messages", status: 403, code: 50013, message: "Missing Permissions"),
             "Discord refused it (Missing Permissions)."),
            (.api(route: "POST /channels/{channels}/messages", status: 502, code: nil, message: "Bad Gateway"),
             "Discord is having trouble; try again."),
            (.rateLimited(route: "POST /channels/{channels}/messages", retryAfter: 3),
             "Discord is limiting how fast I may send; try again in a minute."),
            (.transport(route: "GET /users/@me", reason: "connection refused"), "Discord could not be reached; try again."),
        ]
        for (error, expected) in cases {
            #expect(Self.sentence(error) == "Sorry, that failed: " + expected, "\(error)")
        }
    }

    /// A catalog that does not answer is something to wait out, said without its address or the server's words.
    @Test func catalogFailuresSayWhatToDo() {
        let stalled = ClusterError(.catalogUnavailable,
            "the catalog postgres://bot@db.internal:5432/files could not be read: the server did not answer within 30 s")
        #expect(PlainWords.refusal(for: stalled).sentence()
            == "Sorry, that failed: the file catalog is not answering; try again in a minute.")
        let held = ClusterError(.catalogInUse, "the catalog /var/lib/ftpbot/catalog.sqlite is in use by pid 4242")
        #expect(PlainWords.refusal(for: held).sentence() == "Sorry, that failed: the file catalog is held by another process.")
    }
}
