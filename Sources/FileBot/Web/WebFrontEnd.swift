import AsyncAlgorithms
import Balancer
import Foundation
import Hummingbird
import HTTPTypes
public import Logging
import NIOCore
import NIOHTTPTypes

/// Share links and the upload page over HTTP, served with Hummingbird:
/// - `GET`/`HEAD /d/TOKEN/NAME` streams a file from the cluster (single ranges, ETag from the SHA-256,
///   `Content-Disposition` with the real name), with failover between replicas mid-stream;
/// - `GET /u/TOKEN` serves the upload page, `POST /u/TOKEN` takes `multipart/form-data`, `PUT /u/TOKEN/NAME` a raw
///   body (`curl -T file URL/`), each streamed into the cluster with backpressure.
/// Forged, expired, revoked and unknown links all get the same 404 page; failed attempts are limited per address.
public struct WebFrontEnd: Sendable {
    /// Where the front end listens and how it limits clients.
    public struct Configuration: Sendable {
        /// The address to listen on.
        public var host: String
        /// The port (0: any free one).
        public var port: Int
        /// Proxies whose `X-Forwarded-For` names the real client (a reverse proxy terminating TLS).
        public var trustedProxies: Set<String>
        /// Failed link attempts per address: this many at once, then one more per `attemptRefill`.
        public var attemptBurst: Double
        /// The time one more failed attempt is earned back in.
        public var attemptRefill: Duration
        /// A connection that sends nothing of a request, or reads nothing of a response, for this long is closed.
        public var idleTimeout: Duration

        /// A configuration; see each property.
        public init(
            host: String = "127.0.0.1", port: Int = 8080, trustedProxies: Set<String> = [], attemptBurst: Double = 10,
            attemptRefill: Duration = .seconds(6), idleTimeout: Duration = .seconds(60)
        ) {
            self.host = host
            self.port = port
            self.trustedProxies = trustedProxies
            self.attemptBurst = attemptBurst
            self.attemptRefill = attemptRefill
            self.idleTimeout = idleTimeout
        }
    }

    let links: ShareLinks
    let configuration: Configuration
    let logger: Logger
    let onUpload: @Sendable (WebUploadNotice) async -> Void
    let limiter: LimiterBox

    /// The front end serving `links` as `configuration` says.
    public init(
        links: ShareLinks, configuration: Configuration, logger: Logger = Logger(label: "FileBot.Web"),
        onUpload: @escaping @Sendable (WebUploadNotice) async -> Void = { _ in }
    ) {
        self.links = links
        self.configuration = configuration
        self.logger = logger
        self.onUpload = onUpload
        let refill = configuration.attemptRefill.components
        let seconds = max(Double(refill.seconds) + Double(refill.attoseconds) / 1e18, 0.001)
        self.limiter = LimiterBox(AttemptLimiter(burst: configuration.attemptBurst, refillPerSecond: 1 / seconds))
    }

    /// Serves until the task is cancelled; `onListening` gets the port once the server accepts connections.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: WebGuard(frontEnd: self))
        for (pattern, methods) in WebRoutes.table {
            for (method, handler) in methods {
                router.on(RouterPath(pattern), method: method) { request, context in
                    switch handler {
                    case .home: Self.home()
                    case .robots: Self.robots()
                    case .download: try await self.download(request, context)
                    case .uploadPage: try await self.uploadPage(request, context)
                    case .uploadForm: try await self.uploadForm(request, context)
                    case .uploadRaw: try await self.uploadRaw(request, context)
                    }
                }
            }
        }
        let app = Application(
            router: router,
            server: WebChildChannel.builder(idleTimeout: self.configuration.idleTimeout),
            configuration: .init(address: .hostname(self.configuration.host, port: self.configuration.port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: self.logger)
        try await app.run()
    }

    // MARK: - Answers

    /// The address the bot prints, opened on its own: what it is for, rather than the 404 of a link that is not.
    static func home() -> Response {
        let nonce = Self.nonce()
        return Self.html(.ok, nonce: nonce, WebPages.home(nonce: nonce))
    }

    /// Links are capabilities: crawlers that honour robots.txt index none of them (every answer also says
    /// `X-Robots-Tag: noindex`, for those that find a link posted somewhere public).
    static func robots() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: "User-agent: *\nDisallow: /\n")))
    }

    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return LinkSigner.base64URL(Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    static func html(_ status: HTTPResponse.Status, nonce: String, _ text: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether the client reads JSON rather than pages: the raw `PUT` upload (`curl -T`), whose every other answer is
    /// JSON, and any request that asks for it.
    static func wantsJSON(_ request: Request) -> Bool {
        request.method == .put || request.headers[.accept]?.contains("application/json") == true
    }

    static func notFound(json: Bool) -> Response {
        if json { return Self.json(.notFound, ["error": WebPages.notFoundSentence]) }
        let nonce = Self.nonce()
        return Self.html(.notFound, nonce: nonce, WebPages.notFound(nonce: nonce))
    }

    /// 405 for a method the path's shape does not take, with the `Allow` field RFC 9110 requires.
    static func methodNotAllowed(_ methods: [HTTPRequest.Method], json: Bool) -> Response {
        let allowed = WebRoutes.allowField(methods)
        var response: Response
        if json {
            response = Self.json(.methodNotAllowed, ["error": WebPages.methodNotAllowedSentence(allowed: allowed)])
        } else {
            let nonce = Self.nonce()
            response = Self.html(.methodNotAllowed, nonce: nonce, WebPages.methodNotAllowed(nonce: nonce, allowed: allowed))
        }
        response.headers[.allow] = allowed
        return response
    }

    static func tooManyAttempts(seconds: Int, json: Bool) -> Response {
        let headers: HTTPFields = [.retryAfter: String(seconds)]
        if json {
            var response = Self.json(.tooManyRequests, ["error": WebPages.tooManyAttemptsSentence(seconds: seconds)])
            response.headers.append(contentsOf: headers)
            return response
        }
        let nonce = Self.nonce()
        return Self.html(.tooManyRequests, nonce: nonce, WebPages.tooManyAttempts(nonce: nonce, seconds: seconds), headers: headers)
    }

    /// A JSON answer, ended by a line feed so that `curl -T`'s output ends its line in a terminal.
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The client's address: the peer's, or what a trusted proxy says in `X-Forwarded-For` (its last entry that is
    /// not itself a trusted proxy).
    func clientAddress(_ request: Request, _ context: WebRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard self.configuration.trustedProxies.contains(peer),
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]
        else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.last { !self.configuration.trustedProxies.contains($0) } ?? peer
    }

    // MARK: - Downloads

    private func download(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard let (caller, file) = await self.links.download(Substring(token)) else { throw LinkNotValid() }
        let etag = "\"\(file.sha256 ?? file.version)\""
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: ContentDisposition.attachment(filename: file.name),
            .acceptRanges: "bytes",
            .eTag: etag,
            .cacheControl: "private, no-cache",
        ]
        if let date = file.uploadedAt { headers[.lastModified] = HTTPDate.format(date) }
        let now = Date()
        let condition = ConditionalRequest.evaluate(
            ifMatch: request.headers[.ifMatch], ifNoneMatch: request.headers[.ifNoneMatch],
            ifModifiedSince: request.headers[.ifModifiedSince], ifUnmodifiedSince: request.headers[.ifUnmodifiedSince],
            etag: etag, lastModified: file.uploadedAt, now: now)
        switch condition {
        case .notModified:
            // The validators and caching rules a 200 would carry, and no body.
            var validators: HTTPFields = [.eTag: etag, .cacheControl: "private, no-cache"]
            validators[.lastModified] = headers[.lastModified]
            return Response(status: .notModified, headers: validators, body: .init())
        case .preconditionFailed:
            return Response(status: .preconditionFailed, headers: [.eTag: etag], body: .init())
        case .proceed:
            break
        }
        var range = ByteRange.parse(request.headers[.range], size: file.size)
        let current = ConditionalRequest.rangeApplies(
            ifRange: request.headers[.ifRange], etag: etag, lastModified: file.uploadedAt, now: now)
        if !current { range = .whole }
        let start: UInt64, length: UInt64, status: HTTPResponse.Status
        switch range {
        case .whole:
            (start, length, status) = (0, file.size, .ok)
        case .partial(let s, let e):
            (start, length, status) = (s, e - s + 1, .partialContent)
            headers[.contentRange] = "bytes \(s)-\(e)/\(file.size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(file.size)"
            return Response(status: .rangeNotSatisfiable, headers: headers, body: .init())
        }
        if request.method == .head {
            headers[.contentLength] = String(length)
            return Response(status: status, headers: headers, body: .init())
        }
        let bot = self.links.bot, logger = self.logger, name = file.name
        let body = ResponseBody(contentLength: Int(length)) { writer in
            // Each chunk goes to the client from the download's own loop: no queue between them, so no extra task
            // wakes per chunk, and a client that stops reading stops the node's transfer through the writer's
            // backpressure. The last chunk waits for the cluster's verdict on the whole file (`HeldBackWriter`).
            let out = HeldBackWriter(writer)
            let result = await bot.download(name, for: caller, from: start, length: length) { chunk in
                try await out.write(chunk)
            }
            if case .failure(let refusal) = result {
                if case .receiverStopped = refusal.reason {
                    logger.debug("link download stopped: the client went away", metadata: ["file": "\(name)"])
                } else {
                    logger.warning("link download failed", metadata: ["file": "\(name)", "why": "\(refusal)"])
                }
                throw refusal
            }
            try await out.finish()
        }
        return Response(status: status, headers: headers, body: body)
    }

    // MARK: - Uploads

    private func uploadPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        guard let claims = await self.links.uploadClaims(Substring(context.parameters.get("token") ?? "")) else {
            throw LinkNotValid()
        }
        let nonce = Self.nonce()
        let response = Self.html(.ok, nonce: nonce, WebPages.upload(
            nonce: nonce, space: claims.space, maxBytes: claims.maxBytes, expires: claims.expiry))
        // HEAD answers what GET would, without the body (RFC 9110 §9.3.2).
        return request.method == .head ? response.createHeadResponse() : response
    }

    private func uploadRaw(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let name = (context.parameters.get("name") ?? "").removingPercentEncoding ?? ""
        let size = request.headers[.contentLength].flatMap { UInt64($0) }
        return try await self.upload(request, context, json: true) { caller in
            await self.links.bot.upload(name, size: size, by: caller) {
                // Only now, with the name, size and quota accepted, does the client start sending.
                await Self.continueIfExpected(request, context)
                return RequestBodyBytes(base: request.body, name: FileNames.clean(name) ?? name)
            }
        }
    }

    private func uploadForm(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let wantsJSON = Self.wantsJSON(request)
        guard let boundary = request.headers[.contentType].flatMap(MultipartParser.boundary(contentType:)) else {
            return Self.answer(Refusal(.failed(problem: "the upload must be sent as multipart/form-data.")), status: .badRequest, json: wantsJSON)
        }
        return try await self.upload(request, context, json: wantsJSON) { caller in
            // The file's name and size are inside the body, so the link is all there is to check first.
            await Self.continueIfExpected(request, context)
            let pieces = AsyncThrowingChannel<FilePiece, any Error>()
            return await withTaskGroup(of: Void.self) { group in
                group.addTask { await Self.readForm(request.body, boundary: boundary, into: pieces) }
                var first = pieces.makeAsyncIterator()
                let head: FilePiece?
                do { head = try await first.next() } catch { head = nil }
                guard case .file(let name, let size) = head else {
                    group.cancelAll()
                    return .failure(Refusal(.failed(problem: "the form held no file.")))
                }
                let result = await self.links.bot.upload(name, size: size, by: caller) { FileData(pieces: pieces) }
                group.cancelAll()
                return result
            }
        }
    }

    /// Tells a client that sent `Expect: 100-continue` to send its body (RFC 9110 §10.1.1), once the upload has been
    /// accepted. curl sends the header with every upload over 1 MiB and otherwise waits a second before sending; a
    /// refused upload (a bad link, a file over the limit or the quota) is answered before any of its body is sent.
    static func continueIfExpected(_ request: Request, _ context: WebRequestContext) async {
        guard let expect = request.headers[.expect], expect.lowercased() == "100-continue" else { return }
        // Written before the handler has produced any part of its response, so it cannot overtake one; a failed
        // write means the connection is gone, which reading the body reports.
        try? await context.channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue))).get()
    }

    /// The steps every upload shares: the link is checked and held, the body stored, the link used up, the
    /// asker told.
    private func upload(
        _ request: Request, _ context: WebRequestContext, json: Bool,
        _ store: (Caller) async -> Result<StoredFile, Refusal>
    ) async throws -> Response {
        let token = Substring(context.parameters.get("token") ?? "")
        guard let (claims, caller) = await self.links.beginUpload(token) else { throw LinkNotValid() }
        let result = await store(caller)
        await self.links.endUpload(claims, stored: (try? result.get()) != nil)
        switch result {
        case .failure(let refusal):
            return Self.answer(refusal, status: Self.status(for: refusal), json: json)
        case .success(let stored):
            self.logger.info("web upload", metadata: ["space": "\(caller.space)", "file": "\(stored.row.name)", "by": "\(caller.id)"])
            await self.onUpload(WebUploadNotice(stored: stored, space: caller.space, user: caller.id, channel: claims.channel))
            if json {
                return Self.json(.created, ["name": stored.row.name, "size": stored.row.size, "sha256": stored.row.sha256 ?? "",
                                            "nodes": stored.row.nodes])
            }
            let nonce = Self.nonce()
            return Self.html(.created, nonce: nonce, WebPages.result(nonce: nonce, stored: stored))
        }
    }

    static func answer(_ refusal: Refusal, status: HTTPResponse.Status, json: Bool) -> Response {
        let sentence = refusal.sentence()
        if json { return Self.json(status, ["error": sentence]) }
        let nonce = Self.nonce()
        return Self.html(status, nonce: nonce, WebPages.failure(nonce: nonce, sentence: sentence))
    }

    static func status(for refusal: Refusal) -> HTTPResponse.Status {
        switch refusal.reason {
        case .invalidName: .badRequest
        case .tooLarge: .contentTooLarge
        case .overQuota, .tooManyFiles: .init(code: 507, reasonPhrase: "Insufficient Storage")
        case .nameTaken, .nameBusy: .conflict
        case .notFound: .notFound
        case .notAllowed, .directMessagesRefused, .adminOnly: .forbidden
        case .overTransferLimit, .linkLifetime, .usage, .sizeMismatch, .senderStopped: .badRequest
        case .failed: .serviceUnavailable
        case .receiverStopped: .badRequest  // the client itself went away: no one reads this answer
        }
    }

    /// Reads a multipart body: the first file part's name (and the `size` field, when it came first), then its
    /// data; the rest of the body is read to its end and checked.
    static func readForm(_ body: RequestBody, boundary: String, into pieces: AsyncThrowingChannel<FilePiece, any Error>) async {
        var parser = MultipartParser(boundary: boundary)
        var field: String?
        var fieldValue = ByteBuffer()
        var size: UInt64?
        var inFile = false, sentFile = false
        var fileName: String?, fileBytes: UInt64 = 0
        do {
            for try await chunk in body {
                for event in try parser.feed(chunk) {
                    switch event {
                    case .part(let headers):
                        let (name, filename) = MultipartParser.disposition(headers["content-disposition"] ?? "")
                        if let filename, !sentFile {
                            inFile = true
                            fileName = filename
                            await pieces.send(.file(name: filename, size: size))
                        } else {
                            field = name
                            fieldValue.clear()
                        }
                    case .data(var data):
                        if inFile {
                            fileBytes += UInt64(data.readableBytes)
                            await pieces.send(.data(data))
                            try Task.checkCancellation()
                        } else if field == "size", fieldValue.readableBytes < 32 {
                            fieldValue.writeBuffer(&data)
                        }
                    case .partEnd:
                        if inFile {
                            inFile = false
                            sentFile = true
                            await pieces.send(.end)
                        } else if field == "size" {
                            size = fieldValue.readString(length: fieldValue.readableBytes).flatMap { UInt64($0) }
                        }
                        field = nil
                    }
                }
            }
            try parser.finish()
            pieces.finish()
        } catch let error as MultipartParser.Failure {
            pieces.fail(error)
        } catch {
            let name = fileName.flatMap { FileNames.clean($0) } ?? fileName ?? "The file"
            pieces.fail(Refusal.readingBody(failedWith: error, name: name, received: fileBytes))
        }
    }
}
