import AsyncHTTPClient
import Foundation
import NIOFoundationCompat
public import Logging
public import NIOCore
import NIOHTTP1
import Synchronization

/// Discord's REST API v10: authenticated, rate limited per bucket and globally, retrying what is safe to retry.
/// Usable on its own (`import DiscordKit`); the typed endpoints live in `DiscordRESTClient+Endpoints.swift`.
public final class DiscordRESTClient: Sendable {
    /// The token, base URL and limits this client uses.
    public let configuration: DiscordConfiguration
    private let http: HTTPClient
    private let limiter: RateLimiter
    private let logger: Logger
    private let isShutDown = Atomic<Bool>(false)

    /// A client; it makes no request until asked.
    public init(configuration: DiscordConfiguration, logger: Logger = Logger(label: "DiscordKit.REST")) {
        self.configuration = configuration
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        httpConfiguration.decompression = .enabled(limit: .ratio(50))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        self.limiter = RateLimiter(invalidRequestLimit: configuration.invalidRequestLimit)
        self.logger = logger
    }

    /// Closes pooled connections; call once when done (a client let go without it shuts down in the background).
    public func shutdown() async throws {
        self.isShutDown.store(true, ordering: .relaxed)
        try await self.http.shutdown()
    }

    deinit {
        // Let go without shutdown() (an early return, a thrown error): AsyncHTTPClient stops a debug build's process
        // when a running client is freed, and keeps its connections in a release one. Shut down here instead; the
        // task keeps the HTTP client until it has.
        guard !self.isShutDown.load(ordering: .relaxed) else { return }
        let http = self.http
        Task { try? await http.shutdown() }
    }

    enum Body: Sendable {
        case none
        case json(Data)
        case multipart(MultipartBody)

        var reopenable: Bool {
            if case .multipart(let m) = self { return m.reopenable }
            return true
        }

        var hasFiles: Bool {
            if case .multipart(let m) = self { return !m.files.isEmpty }
            return false
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    func encode<T: Encodable>(_ value: T, route: Route) throws(DiscordRESTError) -> Data {
        do {
            return try Self.encoder.encode(value)
        } catch {
            throw .malformedResponse(route: route.description, reason: "cannot encode the request: \(error)")
        }
    }

    /// Sends `body` on `route` and decodes the answer.
    func send<Response: Decodable>(_ route: Route, body: Body = .none, as type: Response.Type) async throws
        -> Response
    {
        let bytes = try await self.execute(route, body: body)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(buffer: bytes))
        } catch {
            throw DiscordRESTError.malformedResponse(route: route.description, reason: "\(error)")
        }
    }

    /// Sends `body` on `route`, ignoring the answer's body.
    func send(_ route: Route, body: Body = .none) async throws {
        _ = try await self.execute(route, body: body)
    }

    /// One REST call with rate limiting and retries; returns the response body of a 2xx.
    func execute(_ route: Route, body: Body) async throws -> ByteBuffer {
        var rateLimitRetries = 0
        var serverRetries = 0
        let idempotent = [.GET, .PUT, .DELETE, .PATCH].contains(route.method)
        while true {
            let window = try await self.limiter.acquire(route)
            // Waits on Discord (the request taken, the answer arriving) may each last `stallTimeout`; a request with
            // files may take `transferTimeout` as a whole while it moves, others `requestTimeout`.
            let watch = PeerWaitWatch(limit: self.configuration.stallTimeout, route: route.description)
            defer { watch.stop() }
            let request = self.makeRequest(route, body: body, watch: watch)
            let limit = body.hasFiles ? self.configuration.transferTimeout : self.configuration.requestTimeout
            let deadline = NIODeadline.now() + .nanoseconds(Int64(RateLimiter.seconds(limit) * 1e9))
            let response: HTTPClientResponse
            let bytes: ByteBuffer
            do {
                let (http, logger) = (self.http, self.logger)
                watch.waitStarted()
                (response, bytes) = try await watch.run {
                    let response = try await http.execute(request, deadline: deadline, logger: logger)
                    return (response, try await response.body.collect(upTo: 16 << 20))
                }
                watch.waitEnded()
            } catch {
                await self.limiter.record(route, window: window, status: 0, headers: .init())
                if error is CancellationError { throw error }
                // A stall is retried like a dropped connection; Discord's other answers are final here.
                if let error = error as? DiscordRESTError, !error.isStall { throw error }
                if idempotent, body.reopenable, serverRetries < self.configuration.maxServerErrorRetries {
                    serverRetries += 1
                    try await Task.sleep(for: self.configuration.serverErrorBackoff * (1 << (serverRetries - 1)))
                    continue
                }
                if let error = error as? DiscordRESTError { throw error }
                throw DiscordRESTError.transport(route: route.description, reason: "\(error)")
            }
            let status = Int(response.status.code)
            var limits = Self.rateLimitHeaders(response.headers)
            let apiError = (200..<300).contains(status) ? nil : Self.decodeError(bytes)
            if status == 429, limits.retryAfter == nil || apiError?.retryAfter != nil {
                limits.retryAfter = apiError?.retryAfter ?? limits.retryAfter ?? 1
                limits.global = limits.global || (apiError?.global ?? false)
            }
            await self.limiter.record(route, window: window, status: status, headers: limits)
            if (200..<300).contains(status) { return bytes }
            if status == 429 {
                rateLimitRetries += 1
                self.logger.debug(
                    "rate limited", metadata: ["route": "\(route)", "retry_after": "\(limits.retryAfter ?? 0)",
                                               "scope": "\(limits.scope ?? "-")"])
                guard body.reopenable, rateLimitRetries <= self.configuration.maxRateLimitRetries else {
                    throw DiscordRESTError.rateLimited(route: route.description, retryAfter: limits.retryAfter ?? 0)
                }
                continue
            }
            if [500, 502, 503, 504].contains(status), body.reopenable,
                serverRetries < self.configuration.maxServerErrorRetries
            {
                serverRetries += 1
                self.logger.debug("server error, retrying", metadata: ["route": "\(route)", "status": "\(status)"])
                try await Task.sleep(for: self.configuration.serverErrorBackoff * (1 << (serverRetries - 1)))
                continue
            }
            throw DiscordRESTError.api(
                route: route.description, status: status, code: apiError?.code,
                message: apiError?.message ?? (status >= 500 ? "Discord is having trouble" : "HTTP \(status)"))
        }
    }

    private func makeRequest(_ route: Route, body: Body, watch: PeerWaitWatch) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.configuration.apiBaseURL + route.path)
        request.method = route.method
        request.headers.add(name: "Authorization", value: self.configuration.token.authorization)
        request.headers.add(name: "User-Agent", value: self.configuration.userAgent)
        switch body {
        case .none:
            break
        case .json(let data):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: data))
        case .multipart(let multipart):
            request.headers.add(name: "Content-Type", value: multipart.contentType)
            request.body = .stream(multipart.stream(watch: watch), length: multipart.length.map { .known($0) } ?? .unknown)
        }
        return request
    }

    static func rateLimitHeaders(_ headers: HTTPHeaders) -> RateLimitBook.Headers {
        RateLimitBook.Headers(
            bucket: headers.first(name: "X-RateLimit-Bucket"),
            limit: headers.first(name: "X-RateLimit-Limit").flatMap { Int($0) },
            remaining: headers.first(name: "X-RateLimit-Remaining").flatMap { Int($0) },
            resetAfter: headers.first(name: "X-RateLimit-Reset-After").flatMap { Double($0) },
            retryAfter: headers.first(name: "Retry-After").flatMap { Double($0) },
            global: headers.first(name: "X-RateLimit-Global")?.lowercased() == "true",
            scope: headers.first(name: "X-RateLimit-Scope")
        )
    }

    struct APIError: Decodable {
        var code: Int?
        var message: String?
        var retryAfter: Double?
        var global: Bool?
        enum CodingKeys: String, CodingKey {
            case code, message, global
            case retryAfter = "retry_after"
        }
    }

    static func decodeError(_ bytes: ByteBuffer) -> APIError? {
        try? JSONDecoder().decode(APIError.self, from: Data(buffer: bytes))
    }

    // MARK: - Attachments from the CDN

    /// A downloaded attachment as a stream of chunks, read from the network as it is consumed.
    public struct Download: Sendable {
        /// From `Content-Length`, when the server sent it.
        public var size: Int64?
        /// The bytes as they arrive; fails with ``DiscordRESTError/stalled(route:seconds:)`` when the CDN stops
        /// sending.
        public var body: AsyncThrowingStream<ByteBuffer, any Error>
    }

    /// Streams a file from a URL Discord gave (an attachment's `url`). No token is sent: CDN URLs are signed.
    ///
    /// Fails with ``DiscordRESTError/stalled(route:seconds:)`` when the CDN keeps the answer or the next piece
    /// waiting longer than the configuration's `stallTimeout`; pauses of the reader between pieces do not count,
    /// however long. `timeout` bounds the whole transfer.
    public func download(url: String, timeout: Duration? = nil) async throws -> Download {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw DiscordRESTError.malformedResponse(route: "attachment", reason: "not an HTTP URL: \(url)")
        }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: self.configuration.userAgent)
        let route = "GET attachment"
        let watch = PeerWaitWatch(limit: self.configuration.stallTimeout, route: route)
        let response: HTTPClientResponse
        do {
            let (http, logger, request) = (self.http, self.logger, request)
            let deadline = NIODeadline.now() + .nanoseconds(
                Int64(RateLimiter.seconds(timeout ?? self.configuration.transferTimeout) * 1e9))
            response = try await watch.wait { try await http.execute(request, deadline: deadline, logger: logger) }
        } catch let error as DiscordRESTError {
            throw error
        } catch {
            throw DiscordRESTError.transport(route: route, reason: "\(error)")
        }
        guard response.status == .ok else {
            watch.stop()
            throw DiscordRESTError.api(
                route: route, status: Int(response.status.code), code: nil,
                message: "the attachment could not be fetched")
        }
        let size = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let box = ResponseBodyBox(response.body)
        return Download(size: size, body: AsyncThrowingStream(unfolding: {
            do {
                let chunk = try await watch.wait { try await box.next() }
                if chunk == nil { watch.stop() }
                return chunk
            } catch let error as DiscordRESTError {
                watch.stop()
                throw error
            } catch is CancellationError {
                watch.stop()
                throw CancellationError()
            } catch {
                watch.stop()
                throw DiscordRESTError.transport(route: route, reason: "\(error)")
            }
        }))
    }
}

/// Owns a response body's iterator; one consumer pulls through the actor.
private actor ResponseBodyBox {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    init(_ body: HTTPClientResponse.Body) { self.iterator = body.makeAsyncIterator() }
    func next() async throws -> ByteBuffer? {
        var it = self.iterator
        defer { self.iterator = it }
        return try await it.next(isolation: self)
    }
}
