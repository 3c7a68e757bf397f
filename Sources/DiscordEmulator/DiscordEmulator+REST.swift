import Foundation
import NIOHTTP1

extension DiscordEmulator {
    func handleHTTP(_ request: EmulatorRequest) async -> EmulatorResponse {
        if request.path == "/control" || request.path.hasPrefix("/control/") {
            return await self.handleControl(request)
        }
        if let until = self.bannedUntil, self.realClock.now < until {
            // Cloudflare's ban page: HTML, no JSON body, no `Via` header.
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/html")
            headers.add(name: "X-No-Via", value: "1")
            return EmulatorResponse(status: .tooManyRequests, headers: headers,
                                    body: Data("<html><title>Error 1015</title>You are being rate limited.</html>".utf8))
        }
        let path = request.path.hasPrefix("/api/v10/") ? String(request.path.dropFirst("/api/v10".count)) : request.path
        var stallAfterBytes: Int?
        if let index = self.faults.firstIndex(where: { $0.status == 200 && self.matches($0, request, path) }) {
            let delay = self.faults[index].delay
            stallAfterBytes = self.faults[index].stallAfterBytes
            self.consumeFault(at: index)
            try? await Task.sleep(for: delay)
        }
        var response = self.route(request, path: path)
        response.stallAfterBytes = stallAfterBytes
        self.requests.append(RecordedRequest(method: request.method.rawValue, path: request.path,
                                             status: Int(response.status.code)))
        self.countInvalid(response)
        return response
    }

    private func matches(_ fault: Fault, _ request: EmulatorRequest, _ path: String) -> Bool {
        path.hasPrefix(fault.pathPrefix) && (fault.method == nil || fault.method == request.method.rawValue)
    }

    private func consumeFault(at index: Int) {
        self.faults[index].remaining -= 1
        if self.faults[index].remaining <= 0 { self.faults.remove(at: index) }
    }

    /// 401, 403 and 429 (except `shared`) count towards the invalid-request ban.
    private func countInvalid(_ response: EmulatorResponse) {
        let code = response.status.code
        let shared = response.headers.first(name: "X-RateLimit-Scope") == "shared"
        guard code == 401 || code == 403 || (code == 429 && !shared) else { return }
        let now = self.realClock.now
        self.invalidRequests.append(now)
        self.invalidRequests.removeAll { $0 < now - DiscordRules.invalidRequestWindow }
        if self.invalidRequests.count >= self.configuration.invalidRequestLimit {
            self.bannedUntil = now + self.configuration.banDuration
            self.invalidRequests.removeAll()
        }
    }

    private func route(_ request: EmulatorRequest, path: String) -> EmulatorResponse {
        if request.path.hasPrefix("/attachments/") {
            guard request.method == .GET || request.method == .HEAD, let data = self.attachmentsByPath[request.path] else {
                return EmulatorResponse(status: .notFound)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            return EmulatorResponse(status: .ok, headers: headers, body: request.method == .HEAD ? Data() : data,
                                    bytesPerSecond: self.configuration.cdnBytesPerSecond)
        }
        guard request.path.hasPrefix("/api/v10/") else {
            return .error(.notFound, code: 0, "404: Not Found")
        }
        let parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        // Interaction callbacks and interaction webhooks are authorised by their token, not the bot's.
        let tokenAuthorised = parts.first == "interactions" || (parts.first == "webhooks" && parts.count >= 3)
        let authorization = request.headers.first(name: "Authorization")
        if !tokenAuthorised || authorization != nil {
            guard authorization == "Bot \(self.configuration.token)" else {
                return .error(.unauthorized, code: 0, "401: Unauthorized")
            }
        }
        // Bot-authorised calls must say who they are; interaction webhooks are called by any HTTP client.
        if !tokenAuthorised, !(request.headers.first(name: "User-Agent") ?? "").hasPrefix("DiscordBot") {
            return .error(.badRequest, code: 0, "a User-Agent of the form 'DiscordBot (url, version)' is required")
        }
        let bucket = self.routes.bucket(method: request.method.rawValue, parts: parts)
        if let index = self.faults.firstIndex(where: { $0.status != 200 && self.matches($0, request, path) }) {
            let fault = self.faults[index]
            self.consumeFault(at: index)
            if fault.status == 429 {
                return self.rateLimited(bucket, retryAfter: fault.retryAfter, scope: fault.scope)
            }
            return .error(HTTPResponseStatus(statusCode: fault.status), code: 0, "injected failure")
        }
        let now = self.realClock.now
        if bucket.countsGlobally {
            var window = self.globalWindow ?? (0, now)
            if now >= window.start + .seconds(1) { window = (0, now) }
            if window.count >= self.configuration.globalRequestsPerSecond {
                let retry = Self.seconds(window.start + .seconds(1) - now)
                return self.rateLimited(bucket, retryAfter: retry, scope: "global")
            }
            window.count += 1
            self.globalWindow = window
        }
        var state = self.buckets[bucket.key] ?? (0, now)
        if now >= state.windowStart + bucket.window { state = (0, now) }
        let resetAfter = Self.seconds(state.windowStart + bucket.window - now)
        if state.count >= bucket.limit {
            return self.rateLimited(bucket, retryAfter: resetAfter, scope: "user")
        }
        state.count += 1
        self.buckets[bucket.key] = state
        var response = self.endpoint(request, parts: parts)
        if response.status.code == 400, response.body.range(of: Data("50035".utf8)) != nil { self.formErrorCount += 1 }
        response.headers.add(name: "X-RateLimit-Bucket", value: bucket.hash)
        response.headers.add(name: "X-RateLimit-Limit", value: String(bucket.limit))
        response.headers.add(name: "X-RateLimit-Remaining", value: String(max(0, bucket.limit - state.count)))
        response.headers.add(name: "X-RateLimit-Reset-After", value: String(format: "%.3f", resetAfter))
        response.headers.add(name: "X-RateLimit-Reset",
                             value: String(format: "%.3f", Date().timeIntervalSince1970 + resetAfter))
        return response
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func rateLimited(_ bucket: RouteTable.Bucket, retryAfter: Double, scope: String) -> EmulatorResponse {
        var body: EmulatorJSON = [
            "message": "You are being rate limited.", "retry_after": .double(retryAfter), "global": .bool(scope == "global"),
        ]
        if scope == "global" { body["code"] = 0 }
        var response = EmulatorResponse.json(body, status: .tooManyRequests)
        response.headers.add(name: "Retry-After", value: String(Int(retryAfter.rounded(.up))))
        response.headers.add(name: "X-RateLimit-Scope", value: scope)
        if scope == "global" {
            response.headers.add(name: "X-RateLimit-Global", value: "true")
        } else {
            response.headers.add(name: "X-RateLimit-Bucket", value: bucket.hash)
            response.headers.add(name: "X-RateLimit-Limit", value: String(bucket.limit))
            response.headers.add(name: "X-RateLimit-Remaining", value: "0")
            response.headers.add(name: "X-RateLimit-Reset-After", value: String(format: "%.3f", retryAfter))
        }
        return response
    }

    // MARK: - Endpoints

    private func endpoint(_ request: EmulatorRequest, parts: [String]) -> EmulatorResponse {
        let app = self.configuration.applicationID
        let bot = self.configuration.botUser
        switch (request.method, parts.count) {
        case (.GET, 1) where parts == ["gateway"]:
            return .json(["url": .string(self.gatewayURL)])
        case (.GET, 2) where parts == ["gateway", "bot"]:
            return .json([
                "url": .string(self.gatewayURL), "shards": .int(self.configuration.recommendedShards),
                "session_start_limit": [
                    "total": .int(DiscordRules.identifyLimitPerDay),
                    "remaining": .int(DiscordRules.identifyLimitPerDay - self.identifyCount),
                    "reset_after": 86_400_000, "max_concurrency": .int(self.configuration.maxConcurrency),
                ],
            ])
        case (.GET, 2) where parts == ["users", "@me"]:
            var user = bot.json
            user["verified"] = true
            user["mfa_enabled"] = false
            return .json(user)
        case (.GET, 2) where parts == ["applications", "@me"], (.GET, 3) where parts == ["oauth2", "applications", "@me"]:
            return .json(self.applicationJSON)
        case (.GET, 2) where parts[0] == "channels":
            guard let channel = self.channel(parts[1]) else { return .error(.notFound, code: 10003, "Unknown Channel") }
            return .json(channel.json)
        case (.GET, 2) where parts[0] == "guilds":
            guard let guild = self.guild(parts[1]) else { return .error(.notFound, code: 10004, "Unknown Guild") }
            return .json(self.guildJSON(guild))
        case (.POST, 3) where parts[0] == "channels" && parts[2] == "typing":
            return .noContent
        case (.POST, 3) where parts[0] == "channels" && parts[2] == "messages":
            guard let channel = self.channel(parts[1]) else { return .error(.notFound, code: 10003, "Unknown Channel") }
            if self.attachFilesDenied.contains(channel.id), case .success(let (_, files)) = self.payload(request), !files.isEmpty {
                return .error(.forbidden, code: 50013, "Missing Permissions")
            }
            switch self.newMessage(request, channel: channel, allowEphemeral: false) {
            case .failure(let response): return response
            case .success(let message): return .json(message)
            }
        case (.PATCH, 4) where parts[0] == "channels" && parts[2] == "messages":
            guard let message = self.messageStore[parts[3]], message["channel_id"]?.string == parts[1] else {
                return .error(.notFound, code: 10008, "Unknown Message")
            }
            guard message["author"]?["id"]?.string == bot.id else {
                return .error(.forbidden, code: 50005, "Cannot edit a message authored by another user")
            }
            return self.editMessage(request, id: parts[3])
        case (.DELETE, 4) where parts[0] == "channels" && parts[2] == "messages":
            guard self.messageStore[parts[3]]?["channel_id"]?.string == parts[1] else {
                return .error(.notFound, code: 10008, "Unknown Message")
            }
            self.deleteMessage(parts[3])
            return .noContent
        case (.POST, 4) where parts[0] == "interactions" && parts[3] == "callback":
            return self.interactionCallback(request, id: parts[1], token: parts[2])
        case (_, 3) where parts[0] == "webhooks" && parts[1] == app && request.method == .POST:
            return self.followup(request, token: parts[2])
        case (_, 5) where parts[0] == "webhooks" && parts[1] == app && parts[3] == "messages":
            return self.webhookMessage(request, token: parts[2], message: parts[4])
        case (.PUT, 3) where parts[0] == "applications" && parts[1] == app && parts[2] == "commands":
            switch self.registerCommands(request.body) {
            case .failure(let response): return response
            case .success(let commands):
                self.globalCommandList = commands
                return .json(.array(commands))
            }
        case (.GET, 3) where parts[0] == "applications" && parts[1] == app && parts[2] == "commands":
            return .json(.array(self.globalCommandList))
        case (.PUT, 5) where parts[0] == "applications" && parts[1] == app && parts[2] == "guilds" && parts[4] == "commands":
            guard self.guild(parts[3]) != nil else { return .error(.forbidden, code: 50001, "Missing Access") }
            switch self.registerCommands(request.body) {
            case .failure(let response): return response
            case .success(let commands):
                self.guildCommandLists[parts[3]] = commands
                return .json(.array(commands))
            }
        case (.GET, 5) where parts[0] == "applications" && parts[1] == app && parts[2] == "guilds" && parts[4] == "commands":
            return .json(.array(self.guildCommandLists[parts[3]] ?? []))
        default:
            return .error(.notFound, code: 0, "404: Not Found")
        }
    }

    var applicationJSON: EmulatorJSON {
        let bot = self.configuration.botUser
        return [
            "id": .string(self.configuration.applicationID), "name": .string(bot.username), "icon": nil,
            "description": "", "rpc_origins": [], "bot_public": true, "bot_require_code_grant": false,
            "verify_key": "00", "flags": 0, "team": nil, "summary": "",
            "owner": EmulatedUser(id: "1", username: "owner").json, "bot": bot.json,
        ]
    }

    private func registerCommands(_ body: Data) -> Outcome<[EmulatorJSON]> {
        guard let commands = try? EmulatorJSON(parsing: body) else {
            return .failure(.error(.badRequest, code: 50109, "The request body contains invalid JSON."))
        }
        let form = CommandRules.validate(commands)
        guard form.isEmpty else { return .failure(.json(form.body, status: .badRequest)) }
        let app = self.configuration.applicationID
        return .success((commands.array ?? []).map { command in
            var registered = command
            registered["id"] = .string(self.makeID())
            registered["application_id"] = .string(app)
            registered["version"] = .string(self.makeID())
            if registered["type"] == nil { registered["type"] = 1 }
            return registered
        })
    }

    // MARK: - Messages

    enum Outcome<T> {
        case success(T)
        case failure(EmulatorResponse)
    }

    /// The JSON payload and the files of a JSON or multipart body.
    private func payload(_ request: EmulatorRequest) -> Outcome<(EmulatorJSON, [MultipartFormData.Part])> {
        let type = request.headers.first(name: "Content-Type") ?? ""
        if let boundary = MultipartFormData.boundary(contentType: type) {
            guard let parts = try? MultipartFormData.parse(request.body, boundary: boundary) else {
                return .failure(.error(.badRequest, code: 50035, "Invalid Form Body (multipart)"))
            }
            let json = parts.first { $0.name == "payload_json" }?.body ?? Data("{}".utf8)
            guard let payload = try? EmulatorJSON(parsing: json), payload.object != nil else {
                return .failure(.error(.badRequest, code: 50109, "The request body contains invalid JSON."))
            }
            return .success((payload, parts.filter { $0.name.hasPrefix("files[") || $0.name.hasPrefix("file") }))
        }
        guard type.hasPrefix("application/json") else {
            return .failure(.error(.badRequest, code: 50035, "Invalid Form Body (content type \(type))"))
        }
        guard let payload = try? EmulatorJSON(parsing: request.body), payload.object != nil else {
            return .failure(.error(.badRequest, code: 50109, "The request body contains invalid JSON."))
        }
        return .success((payload, []))
    }

    private func check(_ payload: EmulatorJSON, files: [MultipartFormData.Part], channel: String, prefix: [String] = [],
                       limit: Int? = nil, allowEmpty: Bool = false) -> EmulatorResponse? {
        let form = MessageRules.validate(payload, prefix: prefix)
        if !form.isEmpty { return .json(form.body, status: .badRequest) }
        let limit = limit ?? self.uploadLimit(channel: channel)
        if files.contains(where: { $0.body.count > limit }) {
            return .error(.payloadTooLarge, code: 40005, "Request entity too large")
        }
        if !allowEmpty, MessageRules.isEmpty(payload, files: files.count) {
            return .error(.badRequest, code: 50006, "Cannot send an empty message")
        }
        return nil
    }

    private func attachments(_ files: [MultipartFormData.Part], payload: EmulatorJSON, channel: String) -> [EmulatorJSON] {
        let declared = payload["attachments"]?.array ?? []
        return files.enumerated().map { index, part in
            let n = part.name.dropFirst("files[".count).dropLast()
            let named = declared.first { $0["id"]?.id == String(n) }?["filename"]?.string
            return self.storeAttachment(channel: channel, filename: named ?? part.filename ?? "file\(index)",
                                        data: part.body, contentType: part.contentType)
        }
    }

    private func apply(_ payload: EmulatorJSON, to message: inout EmulatorJSON) {
        if let content = payload["content"], !content.isNull { message["content"] = content }
        if let embeds = payload["embeds"]?.array {
            message["embeds"] = .array(embeds.map { embed in
                var e = embed
                if e["type"] == nil { e["type"] = "rich" }
                return e
            })
        }
        if let components = payload["components"]?.array { message["components"] = .array(components) }
        if let reference = payload["message_reference"], !reference.isNull { message["message_reference"] = reference }
    }

    /// A new message by the bot (channel message, interaction answer or follow-up).
    private func newMessage(
        _ request: EmulatorRequest, channel: EmulatedChannel, allowEphemeral: Bool, limit: Int? = nil,
        viewer: String? = nil, interaction: EmulatorJSON? = nil
    ) -> Outcome<EmulatorJSON> {
        switch self.payload(request) {
        case .failure(let response):
            return .failure(response)
        case .success(let (payload, files)):
            if let problem = self.check(payload, files: files, channel: channel.id, limit: limit) {
                return .failure(problem)
            }
            return .success(self.makeMessage(payload, files: files, channel: channel, allowEphemeral: allowEphemeral,
                                             viewer: viewer, interaction: interaction))
        }
    }

    func makeMessage(
        _ payload: EmulatorJSON, files: [MultipartFormData.Part], channel: EmulatedChannel, allowEphemeral: Bool,
        viewer: String?, interaction: EmulatorJSON?, flags extra: Int = 0
    ) -> EmulatorJSON {
        var message = self.messageJSON(id: self.makeID(), channel: channel, author: self.configuration.botUser, content: "")
        self.apply(payload, to: &message)
        message["attachments"] = .array(self.attachments(files, payload: payload, channel: channel.id))
        let requested = payload["flags"]?.int ?? 0
        let ephemeral = allowEphemeral && requested & DiscordRules.ephemeralFlag != 0
        // Channel messages ignore EPHEMERAL; SUPPRESS_EMBEDS (4) and SUPPRESS_NOTIFICATIONS (4096) are kept.
        message["flags"] = .int((requested & (4 | 4096)) | (ephemeral ? DiscordRules.ephemeralFlag : 0) | extra)
        if let interaction {
            message["interaction_metadata"] = [
                "id": interaction["id"] ?? nil, "type": interaction["type"] ?? 2,
                "user": interaction["member"]?["user"] ?? interaction["user"] ?? nil,
            ]
            message["webhook_id"] = .string(self.configuration.applicationID)
            message["application_id"] = .string(self.configuration.applicationID)
            message["type"] = interaction["type"]?.int == 2 ? 20 : 19
        }
        self.store(message)
        if ephemeral, let viewer {
            self.ephemeralViewer[message["id"]?.string ?? ""] = viewer
        } else {
            self.dispatchMessageCreate(message, channel: channel)
        }
        return message
    }

    private func editMessage(_ request: EmulatorRequest, id: String) -> EmulatorResponse {
        guard var message = self.messageStore[id], let channel = message["channel_id"]?.string else {
            return .error(.notFound, code: 10008, "Unknown Message")
        }
        switch self.payload(request) {
        case .failure(let response):
            return response
        case .success(let (payload, files)):
            if let problem = self.check(payload, files: files, channel: channel, allowEmpty: true) { return problem }
            self.apply(payload, to: &message)
            var kept = message["attachments"]?.array ?? []
            if let listed = payload["attachments"]?.array {
                let ids = Set(listed.compactMap { $0["id"]?.id })
                kept = kept.filter { ids.contains($0["id"]?.string ?? "") }
            }
            message["attachments"] = .array(kept + self.attachments(files, payload: payload, channel: channel))
            // An edit ends a deferred answer's "thinking" state.
            message["flags"] = .int((message["flags"]?.int ?? 0) & ~128)
            message["edited_timestamp"] = .string(Self.timestamp(Date()))
            if MessageRules.isEmpty(message, files: kept.count + files.count) {
                return .error(.badRequest, code: 50006, "Cannot send an empty message")
            }
            self.messageStore[id] = message
            if self.ephemeralViewer[id] == nil, let target = self.channel(channel) {
                self.dispatch("MESSAGE_UPDATE", message, guild: target.guildID,
                              intent: target.guildID == nil ? DiscordRules.intentDirectMessages : DiscordRules.intentGuildMessages)
            }
            return .json(message)
        }
    }

    private func deleteMessage(_ id: String) {
        guard let message = self.messageStore.removeValue(forKey: id), let channel = message["channel_id"]?.string else { return }
        self.channelOrder[channel]?.removeAll { $0 == id }
        self.ephemeralViewer[id] = nil
    }

    // MARK: - Interactions

    private func interactionCallback(_ request: EmulatorRequest, id: String, token: String) -> EmulatorResponse {
        guard var record = self.interactions[token], record.id == id,
            self.now < record.created + self.configuration.interactionDeadline
        else { return .error(.notFound, code: 10062, "Unknown interaction") }
        guard record.response == nil else {
            return .error(.badRequest, code: 40060, "Interaction has already been acknowledged.")
        }
        guard let channel = self.channel(record.channelID) else { return .error(.notFound, code: 10003, "Unknown Channel") }
        let body: EmulatorJSON
        let files: [MultipartFormData.Part]
        switch self.payload(request) {
        case .failure(let response): return response
        case .success(let (b, f)): (body, files) = (b, f)
        }
        let type = body["type"]?.int ?? 0
        let data = body["data"] ?? [:]
        let limit = record.json["attachment_size_limit"]?.int
        func invalidType() -> EmulatorResponse {
            var form = FormError()
            form.add(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type for this interaction")
            return .json(form.body, status: .badRequest)
        }
        switch type {
        case 4:
            guard record.kind == .applicationCommand || record.kind == .messageComponent || record.kind == .modalSubmit
            else { return invalidType() }
            if let problem = self.check(data, files: files, channel: channel.id, prefix: ["data"], limit: limit) {
                return problem
            }
            let message = self.makeMessage(data, files: files, channel: channel, allowEphemeral: true,
                                           viewer: record.userID, interaction: record.json)
            record.originalMessageID = message["id"]?.string
        case 5:
            guard record.kind == .applicationCommand || record.kind == .messageComponent || record.kind == .modalSubmit
            else { return invalidType() }
            let flags = data["flags"]?.int ?? 0
            let message = self.makeMessage(["flags": .int(flags)], files: [], channel: channel, allowEphemeral: true,
                                           viewer: record.userID, interaction: record.json, flags: 128)
            record.originalMessageID = message["id"]?.string
        case 6, 7:
            guard record.kind == .messageComponent, let target = record.json["message"]?["id"]?.string,
                var message = self.messageStore[target]
            else { return invalidType() }
            if type == 7 {
                if let problem = self.check(data, files: files, channel: channel.id, prefix: ["data"], allowEmpty: true) {
                    return problem
                }
                self.apply(data, to: &message)
                message["edited_timestamp"] = .string(Self.timestamp(Date()))
                self.messageStore[target] = message
            }
            record.originalMessageID = target
        case 8:
            guard record.kind == .autocomplete else { return invalidType() }
            let form = MessageRules.validateChoices(data)
            if !form.isEmpty { return .json(form.body, status: .badRequest) }
        case 9:
            guard record.kind == .applicationCommand || record.kind == .messageComponent else { return invalidType() }
        default:
            return invalidType()
        }
        record.response = body
        self.interactions[token] = record
        if ["true", "1"].contains(request.query["with_response"]?.lowercased() ?? "") {
            var resource: EmulatorJSON = ["type": .int(type)]
            if let id = record.originalMessageID, let message = self.messageStore[id] { resource["message"] = message }
            return .json([
                "interaction": ["id": .string(record.id), "type": .int(record.kind.rawValue),
                                "response_message_id": .optional(record.originalMessageID),
                                "response_message_loading": .bool(type == 5),
                                "response_message_ephemeral": .bool((data["flags"]?.int ?? 0) & DiscordRules.ephemeralFlag != 0)],
                "resource": resource,
            ])
        }
        return .noContent
    }

    /// The interaction a webhook token belongs to, if that token is still valid (15 minutes).
    private func liveInteraction(token: String) -> Outcome<EmulatedInteraction> {
        guard let record = self.interactions[token] else {
            return .failure(.error(.notFound, code: 10015, "Unknown Webhook"))
        }
        guard self.now < record.created + DiscordRules.interactionTokenLifetime else {
            return .failure(.error(.unauthorized, code: 50027, "Invalid Webhook Token"))
        }
        guard record.response != nil else {
            return .failure(.error(.notFound, code: 10015, "Unknown Webhook"))
        }
        return .success(record)
    }

    private func followup(_ request: EmulatorRequest, token: String) -> EmulatorResponse {
        let record: EmulatedInteraction
        switch self.liveInteraction(token: token) {
        case .failure(let response): return response
        case .success(let r): record = r
        }
        guard let channel = self.channel(record.channelID) else { return .error(.notFound, code: 10003, "Unknown Channel") }
        switch self.newMessage(request, channel: channel, allowEphemeral: true,
                               limit: record.json["attachment_size_limit"]?.int, viewer: record.userID,
                               interaction: record.json) {
        case .failure(let response):
            return response
        case .success(let message):
            self.interactions[token]?.followupIDs.append(message["id"]?.string ?? "")
            return ["true", "1"].contains(request.query["wait"]?.lowercased() ?? "") ? .json(message) : .noContent
        }
    }

    private func webhookMessage(_ request: EmulatorRequest, token: String, message target: String) -> EmulatorResponse {
        let record: EmulatedInteraction
        switch self.liveInteraction(token: token) {
        case .failure(let response): return response
        case .success(let r): record = r
        }
        let id = target == "@original" ? record.originalMessageID : target
        guard let id, self.messageStore[id] != nil,
            id == record.originalMessageID || record.followupIDs.contains(id)
        else { return .error(.notFound, code: 10008, "Unknown Message") }
        switch request.method {
        case .GET: return .json(self.messageStore[id] ?? nil)
        case .PATCH: return self.editMessage(request, id: id)
        case .DELETE:
            self.deleteMessage(id)
            return .noContent
        default: return .error(.methodNotAllowed, code: 0, "405: Method Not Allowed")
        }
    }
}
