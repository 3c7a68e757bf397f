public import Balancer
public import Foundation
public import Logging

/// Expiring, signed links: downloads of files too big for a chat, and one-time upload pages. A link names one
/// version of one file in one space; replacing or deleting the file, `unshare`, or a new key revokes it.
public actor ShareLinks {
    /// The use cases links act through.
    public let bot: FileBot
    /// Lifetimes and the public URL.
    public private(set) var settings: LinkSettings
    private let signer: LinkSigner
    private let logger: Logger
    /// Upload links already used (id → expiry), kept until they expire; persisted when `usedLinksFile` is set.
    private var usedUploads: [String: Int64] = [:]
    /// Upload links with an upload running: a second upload on one link is refused while the first runs.
    private var running: Set<String> = []
    private let usedLinksFile: String?

    /// Points new links at `publicURL`: for a web server whose port is chosen as it starts (port 0, or the first
    /// free one of a range), so links name the port it really listens on.
    public func point(at publicURL: String) {
        self.settings.publicURL = LinkSettings.withoutTrailingSlash(publicURL)
    }

    /// Links signed with `key`; with `usedLinksFile`, used upload links stay used across restarts.
    public init(bot: FileBot, key: [UInt8], settings: LinkSettings, usedLinksFile: String? = nil,
                logger: Logger = Logger(label: "FileBot.Links")) {
        self.bot = bot
        self.signer = LinkSigner(key: key)
        self.settings = settings
        self.logger = logger
        self.usedLinksFile = usedLinksFile
        if let usedLinksFile, let text = try? String(contentsOfFile: usedLinksFile, encoding: .utf8) {
            let now = Int64(Date().timeIntervalSince1970)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let expiry = Int64(parts[1]), expiry > now { self.usedUploads[String(parts[0])] = expiry }
            }
        }
    }

    // MARK: - Making links

    /// A download link to `name` for `hours` (the default lifetime when `nil`).
    public func share(_ name: String, hours: Double? = nil, for caller: Caller, now: Date = Date()) async -> Result<SharedLink, Refusal> {
        let maxHours = Self.hours(self.settings.maxLinkLifetime)
        let wanted = hours ?? Self.hours(self.settings.linkLifetime)
        // A non-finite lifetime (a caller's NaN or infinity) has no expiry to sign: refused like any other.
        guard wanted.isFinite, wanted > 0, wanted <= maxHours else {
            return .failure(Refusal(.linkLifetime(requested: wanted, maximum: maxHours)))
        }
        let row: FileRow
        switch await self.bot.find(name, for: caller) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): row = found
        }
        // A file found on the nodes but never recorded gets a version now, so its links can be revoked.
        var version = row.version
        if version.isEmpty, let renewed = try? await self.bot.cluster.renewVersion(name, in: caller.space) {
            version = renewed.version
        }
        let expires = now.addingTimeInterval(wanted * 3600)
        let claims = LinkClaims(purpose: .download, space: caller.space.name, name: row.name, version: version, expires: expires)
        let url = "\(self.settings.publicURL)/d/\(self.signer.token(for: claims))/\(Self.pathSegment(row.name))"
        return .success(SharedLink(url: url, expires: claims.expiry, name: row.name))
    }

    /// A one-time upload page for the caller: their space, their quota, the per-file limit; `channel` is where to
    /// say that it was used.
    public func uploadLink(for caller: Caller, channel: String? = nil, now: Date = Date()) -> SharedLink {
        let claims = LinkClaims(
            purpose: .upload, space: caller.space.name, expires: now.addingTimeInterval(Self.hours(self.settings.uploadLinkLifetime) * 3600),
            user: caller.id, channel: channel, maxBytes: self.bot.settings.maxFileSize)
        return SharedLink(url: "\(self.settings.publicURL)/u/\(self.signer.token(for: claims))", expires: claims.expiry, name: nil)
    }

    /// Revokes every link to `name` (its uploader, an operator or an admin may).
    public func unshare(_ name: String, by caller: Caller) async -> Result<FileRow, Refusal> {
        switch await self.bot.deletable(name, by: caller) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let row):
            do {
                let file = try await self.bot.cluster.renewVersion(name, in: caller.space)
                return .success(FileRow(file, replicasWanted: row.replicasWanted))
            } catch {
                return .failure(PlainWords.refusal(for: error))
            }
        }
    }

    // MARK: - Following links

    /// What a download token leads to now: `nil` for anything not valid (forged, expired, revoked, deleted).
    public func download(_ token: Substring, now: Date = Date()) async -> (caller: Caller, file: ClusterFile)? {
        guard let claims = self.signer.claims(from: token, now: now), claims.purpose == .download,
            let space = Space(claims.space), let name = claims.name
        else { return nil }
        await self.bot.cluster.syncCatalog()  // a version replaced or deleted in another bot process is gone here too
        guard let file = await self.bot.cluster.knownFile(name, in: space), file.version == claims.version else { return nil }
        return (Caller(id: "link", displayName: "link", space: space), file)
    }

    /// The claims of a valid upload token that is neither used (here or, with a shared catalog, by another bot
    /// process) nor in use here.
    public func uploadClaims(_ token: Substring, now: Date = Date()) async -> LinkClaims? {
        guard let claims = self.validUploadClaims(token, now: now) else { return nil }
        if (try? await self.bot.cluster.isClaimed(Self.useKey(claims))) == true { return nil }
        return claims
    }

    private func validUploadClaims(_ token: Substring, now: Date) -> LinkClaims? {
        guard let claims = self.signer.claims(from: token, now: now), claims.purpose == .upload, Space(claims.space) != nil,
            claims.user != nil, self.usedUploads[claims.id] == nil
        else { return nil }
        return claims
    }

    /// Starts an upload on a link: `nil` when the link is not valid, used, or busy with another upload — in this
    /// process or, with a shared catalog, in another bot process serving the same links (processes behind one
    /// address share the link key, so without this a link worked once per process).
    public func beginUpload(_ token: Substring, now: Date = Date()) async -> (claims: LinkClaims, caller: Caller)? {
        // Reserved here before anything is awaited, then across processes: held by none, used by none.
        guard let claims = self.validUploadClaims(token, now: now), let space = Space(claims.space),
            let user = claims.user, self.running.insert(claims.id).inserted
        else { return nil }
        let cluster = self.bot.cluster, key = Self.useKey(claims)
        let held = (try? await cluster.holdAcrossProcesses(key)) ?? false
        let used = held ? ((try? await cluster.isClaimed(key)) ?? true) : true
        guard held, !used else {
            if held { await cluster.releaseAcrossProcesses(key) }
            self.running.remove(claims.id)
            return nil
        }
        return (claims, Caller(id: user, displayName: user, space: space))
    }

    /// What marks an upload link used (or in use) in a shared catalog.
    static func useKey(_ claims: LinkClaims) -> String { "upload-link:\(claims.id)" }

    /// Ends an upload begun with ``beginUpload(_:now:)``: a stored file uses the link up (recorded in a shared
    /// catalog before the link's hold is given back, so no other process can start on it in between).
    public func endUpload(_ claims: LinkClaims, stored: Bool) async {
        let cluster = self.bot.cluster, key = Self.useKey(claims)
        let until = Date(timeIntervalSince1970: TimeInterval(claims.expires))
        // In a task of its own: a request cancelled as its client left must still record the use and release.
        await Task {
            if stored { _ = await cluster.claimEvent(key, keepUntil: until) }
            await cluster.releaseAcrossProcesses(key)
        }.value
        self.running.remove(claims.id)
        guard stored else { return }
        let now = Int64(Date().timeIntervalSince1970)
        self.usedUploads = self.usedUploads.filter { $0.value > now }
        self.usedUploads[claims.id] = claims.expires
        if let file = self.usedLinksFile {
            let text = self.usedUploads.map { "\($0.key) \($0.value)" }.sorted().joined(separator: "\n") + "\n"
            do {
                try text.write(toFile: file, atomically: true, encoding: .utf8)
            } catch {
                self.logger.error("used upload links could not be saved", metadata: ["file": "\(file)", "error": "\(error)"])
            }
        }
    }

    static func hours(_ d: Duration) -> Double { Double(d.components.seconds) / 3600 }

    /// A lifetime typed after a name (`!link NAME 1.5`): digits with at most one decimal point. Words Swift's
    /// `Double` would also take (`inf`, `nan`, `1e9`, `0x10`) are not read as hours: they may end a file's name,
    /// and an infinite or not-a-number lifetime has no expiry.
    package static func typedHours(_ word: some StringProtocol) -> Double? {
        guard !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            word.filter({ $0 == "." }).count <= 1, let hours = Double(String(word)), hours.isFinite
        else { return nil }
        return hours
    }

    /// A file name as one path segment: everything but unreserved characters percent-encoded.
    static func pathSegment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? "file"
    }
}
