import FileBot
import Foundation
import Logging

/// The web front end (share links, the upload page) for either mode: where it listens, what its links point at,
/// and the key that signs them.
struct WebWiring: Sendable {
    let links: ShareLinks
    let configuration: WebFrontEnd.Configuration
    let publicURL: String
    let publicURLConfigured: Bool

    /// `nil` when the configuration turns the web front end off. Without an address: 127.0.0.1:8080, or the next
    /// free port after it.
    static func make(
        configuration: BotConfiguration, bot: FileBot, data: String, environment: [String: String], logger: Logger
    ) throws -> WebWiring? {
        let http = configuration.http ?? BotConfiguration.HTTP()
        guard http.enabled != false else { return nil }
        let key = try LinkKey.load(file: http.keyFile, environment: environment, dataDirectory: data)
        var host = "127.0.0.1"
        var port: Int
        if let (h, p) = http.address.flatMap(BotConfiguration.hostPort) {
            host = h
            port = p == 0 ? (FreePort.find(host: h, from: 0) ?? 0) : p
        } else {
            guard let free = FreePort.find(host: host, from: 8080) else { throw StartupError("no free port from 8080 on for the web links") }
            port = free
        }
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let publicURL = http.publicURL ?? "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
        var settings = LinkSettings(publicURL: publicURL)
        if let h = http.linkLifetime { settings.linkLifetime = .seconds(h * 3600) }
        if let h = http.maxLinkLifetime { settings.maxLinkLifetime = .seconds(h * 3600) }
        settings.maxLinkLifetime = max(settings.maxLinkLifetime, settings.linkLifetime)
        return WebWiring(
            links: ShareLinks(bot: bot, key: key, settings: settings, usedLinksFile: data + "/used-upload-links", logger: logger),
            configuration: .init(host: host, port: port, trustedProxies: Set(http.trustedProxies ?? [])),
            publicURL: publicURL, publicURLConfigured: http.publicURL != nil)
    }

    /// Serves until cancelled; returns once the server accepts connections (or throws why it cannot).
    func start(logger: Logger, onUpload: @escaping @Sendable (WebUploadNotice) async -> Void) async throws -> Task<Void, Never> {
        let web = WebFrontEnd(links: self.links, configuration: self.configuration, logger: logger, onUpload: onUpload)
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
        for await first in listening {
            _ = try first.get()
            return task
        }
        throw StartupError("the web front end did not start")
    }
}

/// A TCP port nobody listens on, found by binding to it.
enum FreePort {
    static func find(host: String, from start: Int) -> Int? {
        for port in start == 0 ? [0] : Array(start..<min(start + 100, 65536)) {
            if let bound = self.bind(host: host, port: port) { return bound }
        }
        return nil
    }

    private static func bind(host: String, port: Int) -> Int? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            return port == 0 ? nil : port  // not an IPv4 literal: let the server try it
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return ok ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
