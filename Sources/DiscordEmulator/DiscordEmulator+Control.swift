import Foundation
import NIOHTTP1

/// The control API: JSON over HTTP under `/control` on the REST port, so a test in any language can set up the
/// world, act as users, read what the bot did and inject faults (`Docs/discord-emulator.md`).
extension DiscordEmulator {
    func handleControl(_ request: EmulatorRequest) async -> EmulatorResponse {
        let parts = request.path.split(separator: "/").map(String.init).dropFirst().map { $0 }
        let body: EmulatorJSON
        if request.body.isEmpty {
            body = [:]
        } else {
            guard let parsed = try? EmulatorJSON(parsing: request.body), parsed.object != nil else {
                return Self.refuse("The body must be a JSON object.")
            }
            body = parsed
        }
        do {
            return try self.control(request.method, parts, body, query: request.query)
        } catch {
            let status: HTTPResponseStatus = switch error {
            case .unknownChannel, .unknownMessage: .notFound
            default: .badRequest
            }
            return .json(["error": .string(error.description)], status: status)
        }
    }

    static func refuse(_ sentence: String, status: HTTPResponseStatus = .badRequest) -> EmulatorResponse {
        .json(["error": .string(sentence)], status: status)
    }

    private func user(_ body: EmulatorJSON) throws(EmulatorError) -> EmulatedUser {
        if let inline = body["user"], let id = inline["id"]?.id {
            let user = EmulatedUser(id: id, username: inline["username"]?.string ?? "user\(id)",
                                    bot: inline["bot"]?.bool ?? false)
            self.users[id] = user
            return user
        }
        guard let id = body["user_id"]?.id else { throw .invalid("Name the user: user_id, or user {id, username}.") }
        guard let user = self.users[id] else { throw .invalid("No user \(id): create it with POST /control/users.") }
        return user
    }

    private func files(_ list: EmulatorJSON?) throws(EmulatorError) -> [UserFile] {
        var files: [UserFile] = []
        for item in list?.array ?? [] {
            guard let name = item["filename"]?.string else { throw .invalid("Each file needs a filename.") }
            let claimed = item["size"]?.int
            if let text = item["text"]?.string {
                files.append(UserFile(filename: name, data: Data(text.utf8), claimedSize: claimed))
            } else if let base64 = item["data_base64"]?.string, let data = Data(base64Encoded: base64) {
                files.append(UserFile(filename: name, data: data, claimedSize: claimed))
            } else {
                throw .invalid("File \(name) needs text or data_base64.")
            }
        }
        return files
    }

    private func roles(_ body: EmulatorJSON) -> [String]? {
        body["roles"]?.array.map { $0.compactMap(\.id) }
    }

    private func interactionJSON(_ interaction: EmulatedInteraction) -> EmulatorJSON {
        [
            "id": .string(interaction.id), "token": .string(interaction.token),
            "type": .int(interaction.kind.rawValue), "interaction": interaction.json,
            "response": interaction.response ?? nil,
            "original_message": self.originalMessage(ofInteraction: interaction.token)?.json ?? nil,
            "followups": .array(self.followups(ofInteraction: interaction.token).map(\.json)),
        ]
    }

    private func state() -> EmulatorJSON {
        [
            "api": .string(self.apiBaseURL), "gateway": .string(self.gatewayURL),
            "resume_gateway": .string(self.resumeGatewayURL), "control": .string(self.controlURL),
            "token": .string(self.configuration.token), "application_id": .string(self.configuration.applicationID),
            "bot_user": self.configuration.botUser.json,
            "identify_count": .int(self.identifyCount), "resume_count": .int(self.resumeCount),
            "resumes_on_resume_url": .int(self.resumesOnResumeURL), "heartbeat_count": .int(self.heartbeatCount),
            "gateway_connections": .int(self.gatewayConnectionCount),
            "open_gateway_connections": .int(self.connections.count),
            "compressed_connections": .int(self.compressedConnectionCount),
            "last_intents": self.lastIntents.map(EmulatorJSON.int) ?? nil,
            "close_codes": .array(self.sentCloseCodes.map(EmulatorJSON.int)),
            "form_errors": .int(self.formErrorCount), "identifies_too_soon": .int(self.identifiesTooSoon), "clock_offset_seconds": .double(Self.seconds(self.clockOffset)),
            "guilds": .array(self.configuration.guilds.map(self.guildJSON)),
            "channels": .array(self.configuration.channels.map(\.json)),
            "users": .array(self.users.values.sorted { $0.id < $1.id }.map(\.json)),
        ]
    }

    private func control(
        _ method: HTTPMethod, _ parts: [String], _ body: EmulatorJSON, query: [String: String]
    ) throws(EmulatorError) -> EmulatorResponse {
        switch (method, parts) {
        case (.GET, []), (.GET, ["state"]):
            return .json(self.state())
        case (.GET, ["requests"]):
            return .json(.array(self.requests.map {
                ["method": .string($0.method), "path": .string($0.path), "status": .int($0.status)]
            }))
        case (.POST, ["guilds"]):
            let guild = EmulatedGuild(
                id: body["id"]?.id ?? self.makeID(), name: body["name"]?.string ?? "guild",
                boostTier: body["boost_tier"]?.int ?? 0,
                roles: (body["roles"]?.array ?? []).map {
                    EmulatedRole(id: $0["id"]?.id ?? self.makeID(), name: $0["name"]?.string ?? "role")
                })
            guard (0...3).contains(guild.boostTier) else { throw .invalid("boost_tier is 0, 1, 2 or 3.") }
            self.addGuild(guild)
            return .json(self.guildJSON(guild))
        case (.PATCH, let p) where p.count == 2 && p[0] == "guilds":
            guard let tier = body["boost_tier"]?.int, (0...3).contains(tier) else {
                throw .invalid("boost_tier is 0, 1, 2 or 3.")
            }
            guard self.guild(p[1]) != nil else { throw .invalid("No guild \(p[1]).") }
            self.setBoostTier(tier, guild: p[1])
            return .json(self.guildJSON(self.guild(p[1])!))
        case (.POST, ["roles"]):
            guard let guildID = body["guild_id"]?.id, var guild = self.guild(guildID) else {
                throw .invalid("Name an existing guild_id.")
            }
            let role = EmulatedRole(id: body["id"]?.id ?? self.makeID(), name: body["name"]?.string ?? "role")
            guild.roles.append(role)
            self.addGuild(guild)
            return .json(["id": .string(role.id), "name": .string(role.name), "guild_id": .string(guildID)])
        case (.PUT, let p) where p.count == 4 && p[0] == "guilds" && p[2] == "members":
            guard self.guild(p[1]) != nil else { throw .invalid("No guild \(p[1]).") }
            self.setRoles(self.roles(body) ?? [], user: p[3], guild: p[1])
            return .noContent
        case (.POST, ["channels"]):
            let type = body["type"]?.int ?? (body["guild_id"]?.id == nil ? 1 : 0)
            let guild = body["guild_id"]?.id
            if let guild, self.guild(guild) == nil { throw .invalid("No guild \(guild).") }
            if type == 0, guild == nil { throw .invalid("A text channel (type 0) needs a guild_id.") }
            let channel = EmulatedChannel(id: body["id"]?.id ?? self.makeID(), type: type, guildID: type == 1 ? nil : guild,
                                          name: body["name"]?.string)
            self.addChannel(channel)
            return .json(channel.json)
        case (.PATCH, let p) where p.count == 2 && p[0] == "channels":
            guard self.channel(p[1]) != nil else { throw .invalid("No channel \(p[1]).") }
            guard let allowed = body["bot_may_attach_files"]?.bool else { throw .invalid("Give bot_may_attach_files: true or false.") }
            self.setBotMayAttachFiles(allowed, channel: p[1])
            return .noContent
        case (.POST, ["users"]):
            let user = EmulatedUser(id: body["id"]?.id ?? self.makeID(), username: body["username"]?.string ?? "user",
                                    bot: body["bot"]?.bool ?? false)
            self.addUser(user)
            return .json(user.json)
        case (.POST, ["messages"]):
            guard let channel = body["channel_id"]?.id else { throw .invalid("Name the channel_id.") }
            let message = try self.postMessage(
                channel: channel, author: self.user(body), roles: self.roles(body),
                content: body["content"]?.string ?? "", files: self.files(body["files"]))
            return .json(message.json)
        case (.GET, let p) where p.count == 2 && p[0] == "messages":
            guard let message = self.storedMessage(p[1]) else { throw .unknownMessage(p[1]) }
            return .json(message.json)
        case (.GET, let p) where p.count == 3 && p[0] == "channels" && p[2] == "messages":
            guard self.channel(p[1]) != nil else { throw .unknownChannel(p[1]) }
            return .json(.array(self.channelMessages(p[1]).map(\.json)))
        case (.GET, let p) where p.count == 3 && p[0] == "users" && p[2] == "ephemeral":
            return .json(.array(self.ephemeralMessages(for: p[1]).map(\.json)))
        case (.POST, ["interactions", "commands"]):
            guard let channel = body["channel_id"]?.id, let name = body["name"]?.string else {
                throw .invalid("Name the channel_id and the command's name.")
            }
            var files: [String: UserFile] = [:]
            for (option, file) in body["files"]?.object ?? [:] {
                files[option] = try self.files(.array([file])).first
            }
            let interaction = try self.invokeCommand(
                name, options: body["options"]?.object ?? [:], files: files, user: self.user(body),
                roles: self.roles(body), channel: channel)
            return .json(self.interactionJSON(interaction))
        case (.POST, ["interactions", "autocomplete"]):
            guard let channel = body["channel_id"]?.id, let name = body["name"]?.string,
                let option = body["option"]?.string
            else { throw .invalid("Name the channel_id, the command's name and the option.") }
            let interaction = try self.requestAutocomplete(
                name, option: option, typed: body["value"]?.string ?? "", user: self.user(body), channel: channel)
            return .json(self.interactionJSON(interaction))
        case (.POST, ["interactions", "buttons"]):
            guard let message = body["message_id"]?.id, let custom = body["custom_id"]?.string else {
                throw .invalid("Name the message_id and the button's custom_id.")
            }
            let interaction = try self.pressButton(message: message, customID: custom, user: self.user(body),
                                                   roles: self.roles(body))
            return .json(self.interactionJSON(interaction))
        case (.GET, let p) where p.count == 2 && p[0] == "interactions":
            guard let interaction = self.interaction(p[1]) else {
                return Self.refuse("No interaction \(p[1]).", status: .notFound)
            }
            return .json(self.interactionJSON(interaction))
        case (.POST, let p) where p.count == 3 && p[0] == "interactions" && p[2] == "expire":
            self.expire(interaction: p[1])
            return .noContent
        case (.GET, ["commands"]):
            if let guild = query["guild_id"] { return .json(.array(self.registeredCommands(guild: guild))) }
            return .json(.array(self.globalCommands))
        case (.POST, ["faults"]):
            guard let prefix = body["path_prefix"]?.string, let status = body["status"]?.int else {
                throw .invalid("A fault needs path_prefix and status.")
            }
            self.inject(Fault(
                method: body["method"]?.string, pathPrefix: prefix, status: status, count: body["count"]?.int ?? 1,
                retryAfter: body["retry_after"]?.double ?? 0.2, scope: body["scope"]?.string ?? "user",
                delay: .milliseconds(body["delay_ms"]?.int ?? 0), stallAfterBytes: body["stall_after_bytes"]?.int,
                stopReadingAfterBytes: body["stop_reading_after_bytes"]?.int))
            return .noContent
        case (.POST, ["gateway", "close"]):
            self.disconnectGateway(code: body["code"]?.int, shard: body["shard"]?.int)
            return .noContent
        case (.POST, ["gateway", "reconnect"]):
            self.requestReconnect()
            return .noContent
        case (.POST, ["gateway", "invalidate"]):
            self.invalidateSessions(resumable: body["resumable"]?.bool ?? false)
            return .noContent
        case (.POST, ["gateway", "heartbeat-acks"]):
            self.setAcknowledgesHeartbeats(body["enabled"]?.bool ?? true)
            return .noContent
        case (.POST, ["clock", "advance"]):
            guard let seconds = body["seconds"]?.double, seconds.isFinite, seconds >= 0, seconds <= 1e9 else {
                throw .invalid("Give seconds, a number from 0 to 1000000000.")
            }
            self.advanceClock(by: .milliseconds(Int(seconds * 1000)))
            return .json(["clock_offset_seconds": .double(Self.seconds(self.clockOffset))])
        default:
            return Self.refuse("No control endpoint \(method.rawValue) /control/\(parts.joined(separator: "/")).",
                               status: .notFound)
        }
    }
}
