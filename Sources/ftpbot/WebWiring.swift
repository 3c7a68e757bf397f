import FileBot
import Foundation
import Logging
import NIOCore

/// The web front end (share links, the upload page) for either mode: where it listens, what its links point at,
/// and the key that signs them.
struct WebWiring: Sendable {
    let links: ShareLinks
    let host: String
    /// Ports to try in order: the configured one, or 8080 and the 99 after it. Taken by binding (a probe first
    /// would race another process starting at the same time).
    let ports: [Int]
    let trustedProxies: Set<String>
    /// The configured `http.publicURL`, if any; otherwise links name the address the server ends up on.
    let configuredPublicURL: String?

    /// A started web front end.
    struct Running: Sendable {
        let task: Task<Void, Never>
        /// Where links point.
        let publicURL: String
    }

    /// `nil` when the configuration turns the web front end off. Without an address: 127.0.0.1:8080, or the next
    /// free port after it.
    static func make(
        configuration: BotConfiguration, bot: FileBot, data: String, environment: [String: String], logger: Logger
    ) throws -> WebWiring? {
        let http = configuration.http ?? BotConfiguration.HTTP()
        guard http.enabled != false else { return nil }
        let key = try LinkKey.load(file: http.keyFile, environment: environment, dataDirectory: data)
        var host = "127.0.0.1"
        var ports = Array(8080..<8180)
        if let (h, p) = http.address.flatMap(BotConfiguration.hostPort) {
            host = h
            ports = [p]
        }
        var settings = LinkSettings(publicURL: http.publicURL ?? Self.url(host: host, port: ports[0]))
        if let h = http.linkLifetime { settings.linkLifetime = .seconds(h * 3600) }
        if let h = http.maxLinkLifetime { settings.maxLinkLifetime = .seconds(h * 3600) }
        settings.maxLinkLifetime = max(settings.maxLinkLifetime, settings.linkLifetime)
        return WebWiring(
            links: ShareLinks(bot: bot, key: key, settings: settings, usedLinksFile: data + "/used-upload-links", logger: logger),
            host: host, ports: ports, trustedProxies: Set(http.trustedProxies ?? []), configuredPublicURL: http.publicURL)
    }

    static func url(host: String, port: Int) -> String {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
    }

    /// Serves until the task is cancelled; returns once the server accepts connections (or throws why it cannot),
    /// with links pointing at the port it took.
    func start(logger: Logger, onUpload: @escaping @Sendable (WebUploadNotice) async -> Void) async throws -> Running {
        for (index, port) in self.ports.enumerated() {
            let configuration = WebFrontEnd.Configuration(host: self.host, port: port, trustedProxies: self.trustedProxies)
            let web = WebFrontEnd(links: self.links, configuration: configuration, logger: logger, onUpload: onUpload)
            let (listening, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
            let task = Task {
                do {
                    try await web.run { port in continuation.yield(.success(port)) }
                } catch {
                    continuation.yield(.failure(error))
                    logger.error("the web front end stopped", metadata: ["error": "\(error)"])
                }
                continuation.finish()
            }
            var outcome: Result<Int, any Error> = .failure(StartupError("the web front end did not start"))
            for await first in listening {
                outcome = first
                break
            }
            switch outcome {
            case .success(let bound):
                let publicURL = self.configuredPublicURL ?? Self.url(host: self.host, port: bound)
                await self.links.point(at: publicURL)
                return Running(task: task, publicURL: publicURL)
            case .failure(let error) where index + 1 < self.ports.count && Self.isAddressInUse(error):
                logger.debug("web port taken, trying the next", metadata: ["port": "\(port)"])
                continue
            case .failure(let error):
                throw error
            }
        }
        throw StartupError("no free port in \(self.ports.first ?? 0)-\(self.ports.last ?? 0) for the web links")
    }

    private static func isAddressInUse(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == EADDRINUSE
    }
}

