public import Foundation

extension DiscordEmulator {
    /// A file a user attaches.
    public struct UserFile: Sendable {
        /// The file's name as sent.
        public var filename: String
        /// The file's bytes.
        public var data: Data
        /// The `size` the attachment's payload states, when it should not be the data's (a client must not trust
        /// it: it is checked against the bytes that arrive).
        public var claimedSize: Int?
        /// A file a user attaches; `claimedSize` makes the attachment announce another size than it has.
        public init(filename: String, data: Data, claimedSize: Int? = nil) {
            self.filename = filename
            self.data = data
            self.claimedSize = claimedSize
        }
    }

    /// A user posts a message (with files) in a channel; sessions with the right intents receive MESSAGE_CREATE.
    @discardableResult
    public func postMessage(
        channel: String, author: EmulatedUser, roles: [String]? = nil, content: String, files: [UserFile] = []
    ) throws(EmulatorError) -> EmulatedMessage {
        guard let target = self.channel(channel) else { throw .unknownChannel(channel) }
        if FormError.length(content) > DiscordRules.contentLength { throw .invalid("content is over 2000 characters") }
        self.users[author.id] = author
        let limit = self.uploadLimit(channel: channel)
        if let big = files.first(where: { $0.data.count > limit }) {
            throw .invalid("\(big.filename) is over this server's upload limit of \(limit) bytes")
        }
        let attachments = files.map {
            self.storeAttachment(channel: channel, filename: $0.filename, data: $0.data, claimedSize: $0.claimedSize)
        }
        var message = self.messageJSON(id: self.makeID(), channel: target, author: author, content: content)
        message["attachments"] = .array(attachments)
        if let guild = target.guildID {
            message["member"] = self.memberJSON(user: author, guild: guild, roles: roles, withUser: false)
        }
        if content.contains("<@\(self.configuration.botUser.id)>") {
            message["mentions"] = [self.configuration.botUser.json]
        }
        self.store(message)
        self.dispatchMessageCreate(message, channel: target)
        return EmulatedMessage(json: message)
    }

    func storeAttachment(
        channel: String, filename: String, data: Data, contentType: String? = nil, claimedSize: Int? = nil
    ) -> EmulatorJSON {
        let id = self.makeID()
        let name = FileNameRules.displayed(filename)
        let path = "/attachments/\(channel)/\(id)/\(name)"
        self.attachmentsByPath[path] = data
        let url = "http://\(self.host):\(self.port)\(path)"
        return [
            "id": .string(id), "filename": .string(name), "size": .int(claimedSize ?? data.count), "url": .string(url),
            "proxy_url": .string(url), "content_type": .string(contentType ?? "application/octet-stream"),
            "flags": 0,
        ]
    }

    func messageJSON(id: String, channel: EmulatedChannel, author: EmulatedUser, content: String) -> EmulatorJSON {
        var message: EmulatorJSON = [
            "id": .string(id), "channel_id": .string(channel.id), "author": author.json, "content": .string(content),
            "timestamp": .string(Self.timestamp(Date())), "edited_timestamp": nil, "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "components": [], "pinned": false, "type": 0, "flags": 0,
        ]
        if let guild = channel.guildID { message["guild_id"] = .string(guild) }
        return message
    }

    func memberJSON(user: EmulatedUser, guild: String, roles: [String]?, withUser: Bool) -> EmulatorJSON {
        let granted = roles ?? self.memberRoles[guild]?[user.id] ?? []
        var member: EmulatorJSON = [
            "roles": .array(granted.map(EmulatorJSON.string)), "joined_at": .string(Self.timestamp(Date(timeIntervalSince1970: 1_700_000_000))),
            "deaf": false, "mute": false, "flags": 0, "nick": nil, "avatar": nil, "pending": false,
            "permissions": "1071698660929",
        ]
        if withUser { member["user"] = user.json }
        return member
    }

    static func timestamp(_ date: Date) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format.string(from: date)
    }

    func store(_ message: EmulatorJSON) {
        guard let id = message["id"]?.string, let channel = message["channel_id"]?.string else { return }
        if self.messageStore[id] == nil { self.channelOrder[channel, default: []].append(id) }
        self.messageStore[id] = message
    }

    /// The registered definition of a command visible in `guild` (guild commands first, then global ones); a
    /// guild command carries its `guild_id`, as Discord's interaction data does.
    func registeredCommand(_ name: String, guild: String?) -> EmulatorJSON? {
        let matches: (EmulatorJSON) -> Bool = { $0["name"]?.string == name && ($0["type"]?.int ?? 1) == 1 }
        if let guild, var local = self.guildCommandLists[guild]?.first(where: matches) {
            local["guild_id"] = .string(guild)
            return local
        }
        return self.globalCommandList.first(where: matches)
    }

    /// The `data` of an interaction for `command`: its ID and name, and the guild it is registered to.
    private func commandData(_ command: EmulatorJSON, options: [EmulatorJSON]) -> EmulatorJSON {
        var data: EmulatorJSON = [
            "id": command["id"] ?? .string(self.makeID()), "name": command["name"] ?? "", "type": 1,
            "options": .array(options),
        ]
        if let guild = command["guild_id"] { data["guild_id"] = guild }
        return data
    }

    /// A user runs a slash command the bot registered; the bot receives INTERACTION_CREATE. Option types come from
    /// the registration; `files` fill attachment options by name.
    @discardableResult
    public func invokeCommand(
        _ name: String, options: [String: EmulatorJSON] = [:], files: [String: UserFile] = [:],
        user: EmulatedUser, roles: [String]? = nil, channel: String
    ) throws(EmulatorError) -> EmulatedInteraction {
        guard let target = self.channel(channel) else { throw .unknownChannel(channel) }
        guard let command = self.registeredCommand(name, guild: target.guildID) else { throw .unknownCommand(name) }
        let declared = command["options"]?.array ?? []
        var list: [EmulatorJSON] = []
        var resolved: [String: EmulatorJSON] = [:]
        let limit = self.uploadLimit(channel: channel)
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            guard let option = declared.first(where: { $0["name"]?.string == key }) else {
                throw .unknownOption(command: name, option: key)
            }
            let type = option["type"]?.int ?? 3
            // Discord's client only sends a value of the option's type: text for a string, a whole number for an
            // integer, any number for a number (`1.5`), true or false for a boolean, an id for a user or channel.
            guard CommandRules.optionValue(value, fits: type) else {
                throw .invalid("/\(name)'s option \(key) (type \(type)) cannot take \(value)")
            }
            list.append(["name": .string(key), "type": .int(type), "value": value])
        }
        for (key, file) in files.sorted(by: { $0.key < $1.key }) {
            guard declared.contains(where: { $0["name"]?.string == key && $0["type"]?.int == 11 }) else {
                throw .unknownOption(command: name, option: key)
            }
            if file.data.count > limit { throw .invalid("\(file.filename) is over the upload limit of \(limit) bytes") }
            let attachment = self.storeAttachment(channel: channel, filename: file.filename, data: file.data)
            let id = attachment["id"]?.string ?? ""
            resolved[id] = attachment
            list.append(["name": .string(key), "type": 11, "value": .string(id)])
        }
        let missing = declared.filter { $0["required"]?.bool == true }.compactMap { $0["name"]?.string }
            .filter { required in !list.contains { $0["name"]?.string == required } }
        if let first = missing.first { throw .invalid("/\(name) needs its option \(first)") }
        var data = self.commandData(command, options: list)
        if !resolved.isEmpty { data["resolved"] = ["attachments": .object(resolved)] }
        return self.interact(kind: .applicationCommand, data: data, user: user, roles: roles, channel: target)
    }

    /// A user types `typed` in an autocompleted option; the bot's choices arrive as the interaction's response.
    @discardableResult
    public func requestAutocomplete(
        _ name: String, option: String, typed: String, user: EmulatedUser, channel: String
    ) throws(EmulatorError) -> EmulatedInteraction {
        guard let target = self.channel(channel) else { throw .unknownChannel(channel) }
        guard let command = self.registeredCommand(name, guild: target.guildID) else { throw .unknownCommand(name) }
        guard let declared = (command["options"]?.array ?? []).first(where: { $0["name"]?.string == option }) else {
            throw .unknownOption(command: name, option: option)
        }
        guard declared["autocomplete"]?.bool == true else { throw .notAutocompleted(command: name, option: option) }
        let data = self.commandData(
            command, options: [["name": .string(option), "type": declared["type"] ?? 3, "value": .string(typed), "focused": true]])
        return self.interact(kind: .autocomplete, data: data, user: user, roles: nil, channel: target)
    }

    /// A user presses a button on a message (one of its buttons, by custom ID).
    @discardableResult
    public func pressButton(
        message: String, customID: String, user: EmulatedUser, roles: [String]? = nil
    ) throws(EmulatorError) -> EmulatedInteraction {
        guard let target = self.messageStore[message], let channel = self.channel(target["channel_id"]?.string ?? "") else {
            throw .unknownMessage(message)
        }
        if let viewer = self.ephemeralViewer[message], viewer != user.id { throw .unknownMessage(message) }
        let buttons = (target["components"]?.array ?? []).flatMap { $0["components"]?.array ?? [] }
        guard let button = buttons.first(where: { $0["custom_id"]?.string == customID }),
            button["disabled"]?.bool != true
        else { throw .unknownButton(customID) }
        let data: EmulatorJSON = ["custom_id": .string(customID), "component_type": button["type"] ?? 2]
        return self.interact(kind: .messageComponent, data: data, user: user, roles: roles, channel: channel,
                             message: target)
    }

    private func interact(
        kind: EmulatedInteraction.Kind, data: EmulatorJSON, user: EmulatedUser, roles: [String]?,
        channel: EmulatedChannel, message: EmulatorJSON? = nil
    ) -> EmulatedInteraction {
        self.users[user.id] = user
        let id = self.makeID()
        // Like Discord's: base64 of "interaction:<id>:<secret>", URL-safe.
        let secret = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let token = Data("interaction:\(id):\(secret)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        var json: EmulatorJSON = [
            "id": .string(id), "application_id": .string(self.configuration.applicationID), "type": .int(kind.rawValue),
            "data": data, "channel_id": .string(channel.id), "channel": channel.json, "token": .string(token),
            "version": 1, "locale": "en-US", "app_permissions": "1071698660929", "entitlements": [],
            "authorizing_integration_owners": [:], "context": .int(channel.guildID == nil ? 1 : 0),
            "attachment_size_limit": .int(self.uploadLimit(channel: channel.id)),
        ]
        if let guild = channel.guildID {
            json["guild_id"] = .string(guild)
            json["guild_locale"] = "en-US"
            json["member"] = self.memberJSON(user: user, guild: guild, roles: roles, withUser: true)
        } else {
            json["user"] = user.json
        }
        if let message { json["message"] = message }
        let interaction = EmulatedInteraction(
            json: json, kind: kind, userID: user.id, channelID: channel.id, created: self.now)
        self.interactions[token] = interaction
        self.dispatch("INTERACTION_CREATE", json, guild: channel.guildID, intent: 0)
        return interaction
    }
}
