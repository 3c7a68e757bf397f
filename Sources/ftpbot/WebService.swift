import FileBot
import Logging
import OperationsHTTP
import ServiceLifecycle

/// The web front end (share links, the upload page) as a service of the bot's group: it binds the first free port
/// of its wiring's list, points the links at it, and serves until the group shuts down gracefully (Hummingbird
/// finishes the requests under way). The front end that announces the address waits for it with
/// ``publicURL()``.
struct WebService: Service {
    let wiring: WebWiring
    let logger: Logger
    let onUpload: @Sendable (WebUploadNotice) async -> Void
    private let listening: AsyncStream<Result<String, any Error>>
    private let listened: AsyncStream<Result<String, any Error>>.Continuation

    init(wiring: WebWiring, logger: Logger, onUpload: @escaping @Sendable (WebUploadNotice) async -> Void) {
        self.wiring = wiring
        self.logger = logger
        self.onUpload = onUpload
        (self.listening, self.listened) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Where links point once the server listens; throws why it could not start. Call once.
    func publicURL() async throws -> String {
        for await outcome in self.listening { return try outcome.get() }
        throw StartupError("the web front end did not start")
    }

    func run() async throws {
        let wiring = self.wiring
        let listened = self.listened
        defer { listened.finish() }
        for (index, port) in wiring.ports.enumerated() {
            var configuration = WebFrontEnd.Configuration(host: wiring.host, port: port, trustedProxies: wiring.trustedProxies)
            if let idle = wiring.idleTimeout { configuration.idleTimeout = idle }
            let web = WebFrontEnd(links: wiring.links, configuration: configuration, logger: self.logger, onUpload: self.onUpload)
            do {
                try await web.run { bound in
                    let publicURL = wiring.configuredPublicURL ?? WebWiring.url(host: wiring.host, port: bound)
                    await wiring.links.point(at: publicURL)
                    listened.yield(.success(publicURL))
                }
                return
            } catch where index + 1 < wiring.ports.count && WebWiring.isAddressInUse(error) {
                self.logger.debug("web port taken, trying the next", metadata: ["port": "\(port)"])
            } catch {
                // Links stop working; the bot's commands go on.
                let address = WebWiring.url(host: wiring.host, port: port).dropFirst("http://".count)
                let failure = StartupError("the web front end " + ListenFailure.describe(error, address: String(address)))
                self.logger.error("the web front end stopped", metadata: ["error": "\(failure)"])
                listened.yield(.failure(failure))
                throw failure
            }
        }
        let error = StartupError("no free port in \(wiring.ports.first ?? 0)-\(wiring.ports.last ?? 0) for the web links")
        listened.yield(.failure(error))
        throw error
    }
}
