import DiscordKit
import Foundation
import NIOHTTP1

extension DiscordEmulator {
    func handleREST(_ request: EmulatorRequest) async -> EmulatorResponse {
        let path = request.path.hasPrefix("/api/v10/") ? String(request.path.dropFirst("/api/v10".count)) : request.path
        if let index = self.faults.firstIndex(where: {
            $0.status == 200 && path.hasPrefix($0.pathPrefix) && ($0.method == nil || $0.method == request.method.rawValue)
        }) {
            let delay = self.faults[index].delay
            self.faults[index].remaining -= 1
            if self.faults[index].remaining <= 0 { self.faults.remove(at: index) }
            try? await Task.sleep(for: delay)
        }
        let response = self.route(request)
        self.requests.append(RecordedRequest(
            method: request.method.rawValue, path: request.path, status: Int(response.status.code)))
        return response
    }

    private func route(_ request: EmulatorRequest) -> EmulatorResponse {
        if request.path.hasPrefix("/attachments/") {
            guard request.method == .GET, let data = self.attachmentsByPath[request.path] else {
                return EmulatorResponse(status: .notFound)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            return EmulatorResponse(
                status: .ok, headers: headers, body: data, bytesPerSecond: self.configuration.cdnBytesPerSecond)
        }
        guard request.path.hasPrefix("/api/v10/") else {
            return .error(.notFound, code: 0, "404: Not Found (the emulator serves /api/v10 only)")
        }
        let path = String(request.path.dropFirst("/api/v10".count))
        guard request.headers.first(name: "Authorization") == "Bot \(self.configuration.token)" else {
            return .error(.unauthorized, code: 0, "401: Unauthorized")
        }
        guard let agent = request.headers.first(name: "User-Agent"), agent.hasPrefix("DiscordBot") else {
            return .error(.badRequest, code: 0, "a User-Agent of the form 'DiscordBot (url, version)' is required")
        }
        let route = Route(request.method, path)
        if let index = self.faults.firstIndex(where: {
            $0.status != 200 && path.hasPrefix($0.pathPrefix) && ($0.method == nil || $0.method == request.method.rawValue)
        }) {
            let fault = self.faults[index]
            self.faults[index].remaining -= 1
            if self.faults[index].remaining <= 0 { self.faults.remove(at: index) }
            if fault.status == 429 {
                return self.rateLimited(route, retryAfter: fault.retryAfter, scope: fault.scope)
            }
            return .error(HTTPResponseStatus(statusCode: fault.status), code: 0, "injected failure")
        }
        // Buckets: message create/edit per channel is tight, like Discord's; the rest is generous.
        let isMessageWrite = route.shape.hasPrefix("POST /channels/{channels}/messages")
            || route.shape.hasPrefix("PATCH /channels/{channels}/messages")
        let limit = isMessageWrite ? self.configuration.messageBucket : (limit: 50, window: 1.0)
        let key = route.shape + "|" + route.majorParameter
        let now = ContinuousClock.now
        var bucket = self.buckets[key] ?? (0, now)
        if now >= bucket.windowStart + .seconds(limit.window) { bucket = (0, now) }
        let resetAfter = RateLimitClock.seconds(bucket.windowStart + .seconds(limit.window) - now)
        if bucket.count >= limit.limit, !route.exemptFromGlobalLimit {
            return self.rateLimited(route, retryAfter: resetAfter, scope: "user", limit: limit.limit)
        }
        bucket.count += 1
        self.buckets[key] = bucket
        var response = self.endpoint(request, path: path)
        let hash = String(UInt(bitPattern: route.shape.hashValue) % 1_000_000_007, radix: 16)
        response.headers.add(name: "X-RateLimit-Bucket", value: hash)
        response.headers.add(name: "X-RateLimit-Limit", value: String(limit.limit))
        response.headers.add(name: "X-RateLimit-Remaining", value: String(max(0, limit.limit - bucket.count)))
        response.headers.add(name: "X-RateLimit-Reset-After", value: String(format: "%.3f", resetAfter))
        return response
    }

    private func rateLimited(_ route: Route, retryAfter: Double, scope: String, limit: Int = 1) -> EmulatorResponse {
        struct Body: Encodable {
            var message: String
            var retry_after: Double
            var global: Bool
            var code: Int?
        }
        var response = EmulatorResponse.json(
            Body(message: "You are being rate limited.", retry_after: retryAfter, global: scope == "global",
                 code: scope == "global" ? 0 : nil),
            status: .tooManyRequests)
        response.headers.add(name: "Retry-After", value: String(Int(retryAfter.rounded(.up))))
        response.headers.add(name: "X-RateLimit-Scope", value: scope)
        if scope == "global" {
            response.headers.add(name: "X-RateLimit-Global", value: "true")
        } else {
            response.headers.add(name: "X-RateLimit-Limit", value: String(limit))
            response.headers.add(name: "X-RateLimit-Remaining", value: "0")
            response.headers.add(name: "X-RateLimit-Reset-After", value: String(format: "%.3f", retryAfter))
        }
        return response
    }

    // MARK: - Endpoints

    private func endpoint(_ request: EmulatorRequest, path: String) -> EmulatorResponse {
        let parts = path.split(separator: "/").map(String.init)
        let app = self.configuration.applicationID.rawValue
        switch (request.method, parts.count) {
        case (.GET, 2) where parts == ["gateway", "bot"]:
            return .json(GatewayBot(
                url: self.gatewayURL, shards: self.configuration.recommendedShards,
                sessionStartLimit: .init(total: 1000, remaining: 1000 - self.identifyCount, resetAfter: 86_400_000,
                                         maxConcurrency: 1)))
        case (.GET, 2) where parts == ["users", "@me"]:
            return .json(self.configuration.botUser)
        case (.GET, 2) where parts == ["applications", "@me"]:
            return self.applicationInfo()
        case (.GET, 3) where parts == ["oauth2", "applications", "@me"]:
            return self.applicationInfo()
        case (.GET, 2) where parts[0] == "channels":
            guard let channel = self.configuration.channels.first(where: { $0.id.rawValue == parts[1] }) else {
                return .error(.notFound, code: 10003, "Unknown Channel")
            }
            return .json(channel)
        case (.GET, 2) where parts[0] == "guilds":
            guard let guild = self.configuration.guilds.first(where: { $0.id.rawValue == parts[1] }) else {
                return .error(.notFound, code: 10004, "Unknown Guild")
            }
            return .json(guild)
        case (.POST, 3) where parts[0] == "channels" && parts[2] == "messages":
            let channel = Snowflake(parts[1])
            guard self.configuration.channels.contains(where: { $0.id == channel }) else {
                return .error(.notFound, code: 10003, "Unknown Channel")
            }
            return self.createMessage(request, channel: channel, author: self.configuration.botUser)
        case (.PATCH, 4) where parts[0] == "channels" && parts[2] == "messages":
            return self.editMessage(request, id: Snowflake(parts[3]))
        case (.DELETE, 4) where parts[0] == "channels" && parts[2] == "messages":
            let id = Snowflake(parts[3])
            guard let message = self.messages.removeValue(forKey: id) else {
                return .error(.notFound, code: 10008, "Unknown Message")
            }
            self.channelOrder[message.channelID]?.removeAll { $0 == id }
            return .noContent
        case (.POST, 4) where parts[0] == "interactions" && parts[3] == "callback":
            return self.interactionCallback(request, token: parts[2])
        case (.PATCH, 5) where parts[0] == "webhooks" && parts[1] == app && parts[3] == "messages":
            guard let record = self.interactions[parts[2]] else {
                return .error(.notFound, code: 10015, "Unknown Webhook")
            }
            let target = parts[4] == "@original" ? record.originalMessage : Snowflake(parts[4])
            guard let id = target else { return .error(.notFound, code: 10008, "Unknown Message") }
            return self.editMessage(request, id: id)
        case (.DELETE, 5) where parts[0] == "webhooks" && parts[3] == "messages":
            guard let id = self.interactions[parts[2]]?.originalMessage,
                let message = self.messages.removeValue(forKey: id)
            else { return .error(.notFound, code: 10008, "Unknown Message") }
            self.channelOrder[message.channelID]?.removeAll { $0 == id }
            return .noContent
        case (.POST, 3) where parts[0] == "webhooks" && parts[1] == app:
            guard let record = self.interactions[parts[2]], record.response != nil,
                let channel = record.interaction.channelID
            else { return .error(.notFound, code: 10015, "Unknown Webhook") }
            return self.createMessage(request, channel: channel, author: self.configuration.botUser)
        case (.PUT, 3) where parts[0] == "applications" && parts[1] == app && parts[2] == "commands":
            guard let commands = try? JSONDecoder().decode([ApplicationCommand].self, from: request.body) else {
                return .error(.badRequest, code: 50035, "Invalid Form Body")
            }
            self.globalCommands = self.assignIDs(commands)
            return .json(self.globalCommands)
        case (.PUT, 5) where parts[0] == "applications" && parts[2] == "guilds" && parts[4] == "commands":
            guard let commands = try? JSONDecoder().decode([ApplicationCommand].self, from: request.body) else {
                return .error(.badRequest, code: 50035, "Invalid Form Body")
            }
            self.guildCommands[Snowflake(parts[3])] = self.assignIDs(commands)
            return .json(self.guildCommands[Snowflake(parts[3])] ?? [])
        default:
            return .error(.notFound, code: 0, "404: Not Found")
        }
    }

    private func applicationInfo() -> EmulatorResponse {
        let owner = User(id: "1", username: "owner")
        let info: [String: Any] = [
            "id": self.configuration.applicationID.rawValue, "name": self.configuration.botUser.username,
            "icon": NSNull(), "description": "", "rpc_origins": [Any](), "bot_public": true,
            "bot_require_code_grant": false, "verify_key": "00", "flags": 0, "team": NSNull(),
            "owner": WireFormat.complete(["id": owner.id.rawValue, "username": owner.username]),
            "bot": WireFormat.complete(["id": self.configuration.botUser.id.rawValue,
                                        "username": self.configuration.botUser.username, "bot": true]),
        ]
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return EmulatorResponse(status: .ok, headers: headers, body: WireFormat.serialize(info))
    }

    private func assignIDs(_ commands: [ApplicationCommand]) -> [ApplicationCommand] {
        commands.map {
            var c = $0
            c.id = self.makeID()
            return c
        }
    }

    /// The JSON payload and the files of a JSON or multipart body.
    private func payload(_ request: EmulatorRequest) -> PayloadResult {
        let type = request.headers.first(name: "Content-Type") ?? ""
        if let boundary = MultipartFormData.boundary(contentType: type) {
            guard let parts = try? MultipartFormData.parse(request.body, boundary: boundary) else {
                return .failure(.error(.badRequest, code: 50035, "Invalid Form Body (multipart)"))
            }
            let json = parts.first { $0.name == "payload_json" }?.body ?? Data("{}".utf8)
            return .success((json, parts.filter { $0.name.hasPrefix("files[") }))
        }
        guard type.hasPrefix("application/json") else {
            return .failure(.error(.badRequest, code: 50035, "Invalid Form Body (content type \(type))"))
        }
        return .success((request.body, []))
    }

    private func validate(_ payload: MessagePayload, files: [MultipartFormData.Part], channel: Snowflake)
        -> EmulatorResponse?
    {
        if (payload.content ?? "").count > 2000 {
            return .error(.badRequest, code: 50035, "Invalid Form Body: content must be 2000 or fewer in length.")
        }
        if (payload.embeds ?? []).count > 10 {
            return .error(.badRequest, code: 50035, "Invalid Form Body: embeds must be 10 or fewer in length.")
        }
        let limit = self.uploadLimit(channel: channel)
        if files.contains(where: { $0.body.count > limit }) {
            return .error(.payloadTooLarge, code: 40005, "Request entity too large")
        }
        if (payload.content ?? "").isEmpty, (payload.embeds ?? []).isEmpty, files.isEmpty,
            (payload.components ?? []).isEmpty
        {
            return .error(.badRequest, code: 50006, "Cannot send an empty message")
        }
        return nil
    }

    private enum MessageBody {
        case success(MessagePayload, [MultipartFormData.Part])
        case failure(EmulatorResponse)
    }

    private func messageBody(_ request: EmulatorRequest) -> MessageBody {
        switch self.payload(request) {
        case .failure(let response):
            return .failure(response)
        case .success(let (json, files)):
            guard let payload = try? JSONDecoder().decode(MessagePayload.self, from: json) else {
                return .failure(.error(.badRequest, code: 50109, "The request body contains invalid JSON."))
            }
            return .success(payload, files)
        }
    }

    private func createMessage(_ request: EmulatorRequest, channel: Snowflake, author: User) -> EmulatorResponse {
        let payload: MessagePayload
        let files: [MultipartFormData.Part]
        switch self.messageBody(request) {
        case .success(let p, let f): (payload, files) = (p, f)
        case .failure(let response): return response
        }
        if let problem = self.validate(payload, files: files, channel: channel) { return problem }
        let message = self.makeMessage(payload, files: files, channel: channel, author: author)
        return .json(message)
    }

    private func makeMessage(
        _ payload: MessagePayload, files: [MultipartFormData.Part], channel: Snowflake, author: User,
        id: Snowflake? = nil
    ) -> Message {
        let attachments = files.map {
            self.storeAttachment(channel: channel, filename: $0.filename ?? "file", data: $0.body)
        }
        let message = Message(
            id: id ?? self.makeID(), channelID: channel,
            guildID: self.configuration.channels.first { $0.id == channel }?.guildID, author: author,
            content: payload.content ?? "", attachments: attachments, embeds: payload.embeds ?? [],
            components: payload.components ?? [])
        self.store(message)
        return message
    }

    private func editMessage(_ request: EmulatorRequest, id: Snowflake) -> EmulatorResponse {
        guard var message = self.messages[id] else { return .error(.notFound, code: 10008, "Unknown Message") }
        let payload: MessagePayload
        let files: [MultipartFormData.Part]
        switch self.messageBody(request) {
        case .success(let p, let f): (payload, files) = (p, f)
        case .failure(let response): return response
        }
        if (payload.content ?? "").count > 2000 {
            return .error(.badRequest, code: 50035, "Invalid Form Body: content must be 2000 or fewer in length.")
        }
        if files.contains(where: { $0.body.count > self.uploadLimit(channel: message.channelID) }) {
            return .error(.payloadTooLarge, code: 40005, "Request entity too large")
        }
        if let content = payload.content { message.content = content }
        if let embeds = payload.embeds { message.embeds = embeds }
        if let components = payload.components { message.components = components }
        if !files.isEmpty {
            message.attachments += files.map {
                self.storeAttachment(channel: message.channelID, filename: $0.filename ?? "file", data: $0.body)
            }
        }
        self.messages[id] = message
        return .json(message)
    }

    private func interactionCallback(_ request: EmulatorRequest, token: String) -> EmulatorResponse {
        guard var record = self.interactions[token],
            self.clock.now < record.created + self.configuration.interactionDeadline
        else { return .error(.notFound, code: 10062, "Unknown interaction") }
        guard record.response == nil else {
            return .error(.badRequest, code: 40060, "Interaction has already been acknowledged.")
        }
        let json: Data
        let files: [MultipartFormData.Part]
        switch self.payload(request) {
        case .success(let (j, f)): (json, files) = (j, f)
        case .failure(let response): return response
        }
        guard let response = try? JSONDecoder().decode(InteractionResponse.self, from: json) else {
            return .error(.badRequest, code: 50109, "The request body contains invalid JSON.")
        }
        let channel = record.interaction.channelID ?? "0"
        let data = response.data
        let payload = MessagePayload(
            content: data?.content, embeds: data?.embeds, allowedMentions: data?.allowedMentions,
            components: data?.components, flags: data?.flags)
        switch response.type {
        case .channelMessage:
            if let problem = self.validate(payload, files: files, channel: channel) { return problem }
            record.originalMessage = self.makeMessage(payload, files: files, channel: channel,
                                                      author: self.configuration.botUser).id
        case .deferredChannelMessage:
            record.originalMessage = self.makeMessage(
                MessagePayload(content: ""), files: [], channel: channel, author: self.configuration.botUser).id
        case .updateMessage, .deferredUpdateMessage:
            guard let target = record.interaction.message?.id, var message = self.messages[target] else {
                return .error(.badRequest, code: 50035, "Invalid Form Body: no message to update")
            }
            if response.type == .updateMessage {
                if let content = payload.content { message.content = content }
                if let embeds = payload.embeds { message.embeds = embeds }
                if let components = payload.components { message.components = components }
                self.messages[target] = message
            }
            record.originalMessage = target
        case .autocompleteResult:
            guard record.interaction.type == .autocomplete else {
                return .error(.badRequest, code: 50035, "Invalid Form Body: not an autocomplete interaction")
            }
            if (data?.choices ?? []).count > 25 {
                return .error(.badRequest, code: 50035, "Invalid Form Body: at most 25 choices")
            }
        default:
            return .error(.badRequest, code: 50035, "Invalid Form Body: unsupported response type \(response.type.rawValue)")
        }
        record.response = response
        self.interactions[token] = record
        return .noContent
    }
}

enum PayloadResult {
    case success((Data, [MultipartFormData.Part]))
    case failure(EmulatorResponse)
}

enum RateLimitClock {
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
