import Balancer
import FileBot
import Foundation
import Logging
import SeedTestSupport
import Synchronization

/// FileBot's web front end on an ephemeral port over in-process nodes, for curl and a browser to talk to.
final class WebHarness: Sendable {
    let h: FileBotHarness
    let links: ShareLinks
    let port: Int
    let server: Task<Void, Never>
    /// The notices of finished web uploads, in order.
    let notices: NoticeLog
    static let placeholder = "http://web.invalid"

    private init(h: FileBotHarness, links: ShareLinks, port: Int, server: Task<Void, Never>, notices: NoticeLog) {
        self.h = h
        self.links = links
        self.port = port
        self.server = server
        self.notices = notices
    }

    static func start(settings: FileBotSettings = FileBotSettings(), slowNodes: Bool = false, replicas: Int = 2,
                      trustedProxies: Set<String> = [], idleTimeout: Duration = .seconds(60)) async throws -> WebHarness {
        let h = try await FileBotHarness.start(settings: settings, slowNodes: slowNodes, replicas: replicas)
        let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let links = ShareLinks(bot: h.bot, key: key, settings: LinkSettings(publicURL: Self.placeholder))
        let received = NoticeLog()
        let web = WebFrontEnd(links: links, configuration: .init(host: "127.0.0.1", port: 0, trustedProxies: trustedProxies,
                                                    attemptBurst: 10, attemptRefill: .seconds(3600), idleTimeout: idleTimeout),
                              logger: FileBotHarness.quietLogger) { notice in received.entries.withLock { $0.append(notice) } }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task {
            try? await web.run { continuation.yield($0) }
            continuation.finish()
        }
        var port = 0
        for await p in ports {
            port = p
            break
        }
        return WebHarness(h: h, links: links, port: port, server: server, notices: received)
    }

    /// Runs `body` with a started front end and stops it afterwards, however `body` ends.
    static func with(
        settings: FileBotSettings = FileBotSettings(), slowNodes: Bool = false, replicas: Int = 2,
        idleTimeout: Duration = .seconds(60), _ body: (WebHarness) async throws -> Void
    ) async throws {
        let w = try await Self.start(settings: settings, slowNodes: slowNodes, replicas: replicas, idleTimeout: idleTimeout)
        do {
            try await body(w)
        } catch {
            await w.stop()
            throw error
        }
        await w.stop()
    }

    func stop() async {
        self.server.cancel()
        await self.server.value
        await self.h.stop()
    }

    /// A link's URL on this server.
    func url(_ link: SharedLink) -> String { link.url.replacingOccurrences(of: Self.placeholder, with: "http://127.0.0.1:\(self.port)") }

    var base: String { "http://127.0.0.1:\(self.port)" }

    func curl(_ arguments: String...) async throws -> Command.Output { try await self.curl(arguments) }

    func curl(_ arguments: [String]) async throws -> Command.Output { try await Command.run(["curl", "-sS"] + arguments) }

    /// The status code of a request (`-w`), its body to `output` or discarded.
    func status(_ arguments: String...) async throws -> Int {
        let r = try await Command.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"] + arguments)
        return Int(r.text) ?? -1
    }
}

/// Where the front end's upload notices go.
final class NoticeLog: Sendable {
    let entries = Mutex<[WebUploadNotice]>([])
    func withLock<R: Sendable>(_ body: (inout [WebUploadNotice]) -> R) -> R { self.entries.withLock { body(&$0) } }
}
