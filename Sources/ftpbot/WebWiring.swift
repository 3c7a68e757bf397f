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
    let idleTimeout: Duration?
    /// The configured `http.publicURL`, if any; otherwise links name the address the server ends up on.
    let configuredPublicURL: String?

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
        // A maximum under the 24-hour default makes the default the maximum (one above it was refused as
        // configuration).
        settings.linkLifetime = min(settings.linkLifetime, settings.maxLinkLifetime)
        return WebWiring(
            links: ShareLinks(bot: bot, key: key, settings: settings, usedLinksFile: data + "/used-upload-links", logger: logger),
            host: host, ports: ports, trustedProxies: Set(http.trustedProxies ?? []),
            idleTimeout: http.idleTimeout.map { .milliseconds(Int64($0 * 1000)) }, configuredPublicURL: http.publicURL)
    }

    static func url(host: String, port: Int) -> String {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
    }

    static func isAddressInUse(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == EADDRINUSE
    }
}

