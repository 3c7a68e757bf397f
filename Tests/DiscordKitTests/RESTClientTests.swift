import DiscordEmulator
import DiscordTestSupport
import DiscordKit
import Foundation
import NIOCore
import Testing
import SeedTestSupport

@Suite(.tags(.slow), .inTestSet(.slow)) struct RESTClientTests {
    @Test func identityEndpointsAndAuthentication() async throws {
        try await withEmulator { emulator, rest in
            #expect(try await rest.currentUser().username == "seed-bot")
            #expect(try await rest.currentApplication().id == "1000")
            let gateway = try await rest.gatewayBot()
            #expect(gateway.url == (await emulator.gatewayURL))
            #expect(try await rest.guild("2000").attachmentSizeLimit == 10 << 20)
            await #expect(throws: DiscordRESTError.self) { try await rest.channel("404404") }
        }
        try await withEmulator(restConfiguration: { $0.token = BotToken("wrong") }) { _, rest in
            do {
                _ = try await rest.currentUser()
                Issue.record("a wrong token was accepted")
            } catch let error as DiscordRESTError {
                #expect(error.status == 401)
            }
        }
    }

    /// A client let go without `shutdown()` (a caller's early return or a thrown error) shuts itself down: the HTTP
    /// client under it stops a debug build's whole process when it is freed while running.
    @Test func aClientFreedWithoutShutdownShutsItselfDown() async throws {
        try await withEmulator { emulator, rest async throws -> Void in
            let port = await emulator.port
            var forgotten: DiscordRESTClient? = DiscordRESTClient(configuration: rest.configuration)
            #expect(try await forgotten?.currentUser().username == "seed-bot")  // a pooled connection to close too
            #expect(Self.establishedConnections(toPort: port) == 1)
            weak let gone = forgotten
            forgotten = nil
            #expect(gone == nil)
            try await eventually("the pooled connection to close") { Self.establishedConnections(toPort: port) == 0 }
            // The process is still here, and other clients work on.
            #expect(try await rest.currentUser().username == "seed-bot")
        }
    }

    /// Established TCP connections (IPv4) to `port` on this machine, from /proc/net/tcp (read to its end: the kernel
    /// hands it out a page at a time, and a single read sees only the first sockets).
    static func establishedConnections(toPort port: Int) -> Int {
        let table = procFileText("/proc/net/tcp") ?? ""
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            // sl, local address, remote address (hex IP:port), state (01: established)
            guard fields.count > 3, fields[3] == "01", let remote = fields[2].split(separator: ":").last else { return false }
            return Int(remote, radix: 16) == port
        }.count
    }

    @Test func messagesWithStreamedAttachmentsEditsAndDeletes() async throws {
        try await withEmulator { emulator, rest in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dk-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("report \"final\".bin").path
            let bytes = Data((0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try bytes.write(to: URL(fileURLWithPath: path))
            let streamed = AsyncStream<ByteBuffer> { c in
                c.yield(ByteBuffer(string: "hello "))
                c.yield(ByteBuffer(string: "world"))
                c.finish()
            }
            let sent = try await rest.createMessage(
                channel: filesChannel, MessagePayload(content: "two files"),
                files: [try FileUpload.file(path: path), FileUpload.stream(streamed, size: nil, filename: "s.txt")])
            #expect(sent.attachments.count == 2)
            let stored = try #require(await emulator.message(sent.id))
            #expect(await emulator.attachmentData(url: stored.attachments[0].url) == bytes)
            // Discord shows the name rewritten (white space to `_`, other punctuation dropped).
            #expect(stored.attachments[0].filename == "report_final.bin")
            #expect(await emulator.attachmentData(url: stored.attachments[1].url) == Data("hello world".utf8))

            // Download streams the CDN file back.
            let download = try await rest.download(url: stored.attachments[0].url)
            #expect(download.size == Int64(bytes.count))
            var received = Data()
            for try await chunk in download.body { received.append(contentsOf: chunk.readableBytesView) }
            #expect(received == bytes)

            try await rest.editMessage(channel: filesChannel, message: sent.id, MessagePayload(content: "edited"))
            #expect(await emulator.message(sent.id)?.content == "edited")
            try await rest.deleteMessage(channel: filesChannel, message: sent.id)
            #expect(await emulator.message(sent.id) == nil)
        }
    }

    /// Attachments stream from the CDN while the reader stores them: only waits on the CDN count against the stall
    /// limit (1 s here), never the reader's own pauses, and a CDN that stops sending fails the read instead of
    /// holding it for the whole transfer's limit (an hour).
    @Test(.timeLimit(.minutes(2))) func aStalledCDNFailsTheDownloadButPausesOfTheReaderDoNot() async throws {
        try await withEmulator(restConfiguration: { $0.stallTimeout = .seconds(1) }) { emulator, rest in
            let bytes = ByteBuffer(bytes: (0..<4_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            let sent = try await rest.createMessage(
                channel: filesChannel, MessagePayload(content: "big"), files: [.bytes(bytes, filename: "big.bin")])
            let url = try #require(sent.attachments.first?.url)

            // The reader pauses 3 s twice, three times the stall limit: the file still arrives whole.
            var received = ByteBuffer()
            var pieces = 0
            for try await var chunk in try await rest.download(url: url).body {
                received.writeBuffer(&chunk)
                pieces += 1
                if pieces == 1 || pieces == 20 { try await Task.sleep(for: .seconds(3)) }
            }
            #expect(received == bytes)
            #expect(pieces > 20)

            // The CDN sends 100 kB and then nothing, the connection open: the read fails with `stalled`.
            await emulator.inject(.init(pathPrefix: "/attachments/", status: 200, stallAfterBytes: 100_000))
            var got = 0
            do {
                for try await chunk in try await rest.download(url: url).body { got += chunk.readableBytes }
                Issue.record("a stalled download ended without an error after \(got) bytes")
            } catch DiscordRESTError.stalled(let route, let seconds) {
                #expect(route == "GET attachment")
                #expect(seconds == 1)
                #expect(got == 100_000)
            }

            // The CDN takes 5 s to answer at all: the wait for the answer is a stall too.
            await emulator.inject(.init(pathPrefix: "/attachments/", status: 200, delay: .seconds(5)))
            await #expect(throws: DiscordRESTError.stalled(route: "GET attachment", seconds: 1)) {
                _ = try await rest.download(url: url)
            }

            // A stall does not outlive its download: the next one is whole.
            received.clear()
            for try await var chunk in try await rest.download(url: url).body { received.writeBuffer(&chunk) }
            #expect(received == bytes)
        }
    }

    /// Sending files to Discord: the whole request may outlast `requestTimeout` while it moves, the sender's own
    /// pauses are not stalls, and a Discord that stops taking the body fails the call within the stall limit.
    @Test(.timeLimit(.minutes(2))) func anUploadDiscordStopsTakingStallsButASlowSenderDoesNot() async throws {
        let configuration = DiscordEmulator.Configuration(
            guilds: [EmulatedGuild(id: "2000", name: "Boosted", boostTier: 3)])
        try await withEmulator(configuration, restConfiguration: {
            $0.stallTimeout = .seconds(1)
            $0.requestTimeout = .seconds(1)
        }) { emulator, rest in
            // Three pieces 1.5 s apart: 3 s in all, three times `requestTimeout`, each pause past the stall limit.
            let pieces = (0..<3).map { i in ByteBuffer(repeating: UInt8(65 + i), count: 100_000) }
            let slow = AsyncStream<ByteBuffer> { c in
                let task = Task {
                    for piece in pieces {
                        c.yield(piece)
                        try? await Task.sleep(for: .milliseconds(1500))
                    }
                    c.finish()
                }
                c.onTermination = { _ in task.cancel() }
            }
            let sent = try await rest.createMessage(
                channel: filesChannel, MessagePayload(content: "slow"),
                files: [.stream(slow, size: 300_000, filename: "slow.bin")])
            var expected = Data()
            for piece in pieces { expected.append(contentsOf: piece.readableBytesView) }
            let stored = try #require(await emulator.message(sent.id))
            #expect(await emulator.attachmentData(url: stored.attachments[0].url) == expected)

            // Discord reads 1 MB of a 40 MB upload and then nothing: the call fails as a stall, and the next one works.
            await emulator.inject(.init(pathPrefix: "/channels/\(filesChannel)/messages", status: 200,
                                        stopReadingAfterBytes: 1_000_000))
            let big = ByteBuffer(repeating: 9, count: 40_000_000)
            await #expect(throws: DiscordRESTError.stalled(route: "POST /channels/{channels}/messages", seconds: 1)) {
                try await rest.createMessage(
                    channel: filesChannel, MessagePayload(content: "big"), files: [.bytes(big, filename: "big.bin")])
            }
            let after = try await rest.createMessage(channel: filesChannel, MessagePayload(content: "after"))
            #expect(await emulator.message(after.id)?.content == "after")
        }
    }

    @Test func discordErrorsCarryTheirCode() async throws {
        try await withEmulator { _, rest in
            do {
                try await rest.createMessage(channel: filesChannel, MessagePayload(content: ""))
                Issue.record("an empty message was accepted")
            } catch let error as DiscordRESTError {
                #expect(error.code == 50006)
            }
            let big = ByteBuffer(repeating: 7, count: (10 << 20) + 1)
            do {
                try await rest.createMessage(
                    channel: filesChannel, MessagePayload(content: "x"), files: [.bytes(big, filename: "big")])
                Issue.record("an oversize file was accepted")
            } catch let error as DiscordRESTError {
                #expect(error.status == 413)
                #expect(error.code == 40005)
            }
        }
    }

    @Test func rateLimitsQueueInsteadOfFailing() async throws {
        // A 3-second window: a request the loaded machine delays past the window's end would land in the next
        // window, which no client can foresee; this keeps the check about the client, not the scheduler.
        let config = DiscordEmulator.Configuration(messageBucket: (3, 3.0))
        try await withEmulator(config) { emulator, rest in
            // Twice the bucket, at once: the client learns the bucket and waits for its reset.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<6 {
                    group.addTask { try await rest.createMessage(channel: filesChannel, MessagePayload(content: "m\(i)")) }
                }
                try await group.waitForAll()
            }
            #expect(await emulator.messages(in: filesChannel).count == 6)
            let log = await emulator.requests.map { "\($0.method) \($0.path) \($0.status)" }
            #expect(!log.contains { $0.hasSuffix(" 429") }, "the client overran a bucket it had learned: \(log)")

            // Injected 429s (a sub-limit Discord did not announce) are waited out and retried.
            await emulator.inject(.init(pathPrefix: "/channels/3000/messages", status: 429, count: 2, retryAfter: 0.1))
            try await rest.createMessage(channel: filesChannel, MessagePayload(content: "after 429"))
            #expect(await emulator.messages(in: filesChannel).last?.content == "after 429")
            // The two injected ones at least (a loaded machine may also meet the bucket's own limit on the retry).
            #expect(await emulator.requests.filter { $0.status == 429 }.count >= 2)
        }
    }

    @Test func serverErrorsAreRetriedAndThenReported() async throws {
        try await withEmulator { emulator, rest in
            await emulator.inject(.init(pathPrefix: "/users/@me", status: 502, count: 2))
            #expect(try await rest.currentUser().id == "1000")
            await emulator.inject(.init(pathPrefix: "/users/@me", status: 503, count: 10))
            do {
                _ = try await rest.currentUser()
                Issue.record("a persistent 503 was not reported")
            } catch let error as DiscordRESTError {
                #expect(error.status == 503)
            }
        }
    }

    @Test func aOneShotStreamIsNotRetriedAfterA429() async throws {
        try await withEmulator { emulator, rest in
            await emulator.inject(.init(pathPrefix: "/channels/3000/messages", status: 429, count: 1, retryAfter: 0.05))
            let stream = AsyncStream<ByteBuffer> { c in
                c.yield(ByteBuffer(string: "once"))
                c.finish()
            }
            await #expect(throws: DiscordRESTError.self) {
                try await rest.createMessage(
                    channel: filesChannel, MessagePayload(content: "x"),
                    files: [.stream(stream, size: 4, filename: "once.txt")])
            }
        }
    }

    @Test func invalidRequestGuardStopsAHammeringBot() async throws {
        try await withEmulator(restConfiguration: { $0.token = BotToken("revoked"); $0.invalidRequestLimit = 3 }) {
            emulator, rest in
            for _ in 0..<3 { _ = try? await rest.currentUser() }
            do {
                _ = try await rest.currentUser()
                Issue.record("the guard let a request through")
            } catch let error as DiscordRESTError {
                guard case .invalidRequestBudgetExhausted = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
            #expect(await emulator.requests.count == 3)
        }
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct InteractionRulesTests {
    @Test func lateAndDoubleAcknowledgementsAreRefusedLikeDiscord() async throws {
        try await withEmulator(.init(interactionDeadline: .seconds(15))) { emulator, rest in
            try await rest.overwriteGlobalCommands(applicationID: "1000", [CommandSpec("x", description: "X").applicationCommand])
            let first = try await emulator.invokeCommand("x", user: ana, channel: filesChannel)
            try await rest.respond(to: first, .deferred())
            do {
                try await rest.respond(to: first, .message(MessagePayload(content: "again")))
                Issue.record("a second acknowledgement was accepted")
            } catch let error as DiscordRESTError {
                #expect(error.code == 40060)
            }
            try await rest.editOriginalResponse(
                applicationID: first.applicationID, token: first.token, MessagePayload(content: "filled"))
            #expect(await emulator.originalMessage(of: first)?.content == "filled")

            let late = try await emulator.invokeCommand("x", user: ana, channel: filesChannel)
            await emulator.expire(late)
            do {
                try await rest.respond(to: late, .message(MessagePayload(content: "too late")))
                Issue.record("a late acknowledgement was accepted")
            } catch let error as DiscordRESTError {
                #expect(error.code == 10062)
            }
        }
    }
}
