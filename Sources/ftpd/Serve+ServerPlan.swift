import ArgumentParser
import FTPKit
import Logging

/// What `ftpd` serves and how, from its options over its configuration file (an option wins).
extension Serve {
    /// What `run` binds, and the two parts of it a SIGHUP reloads.
    struct ServerPlan {
        var configuration: FTPServerConfiguration
        /// As given, so a reload resolves its DNS names again.
        var advertised: FTPAdvertisedAddresses?
        var auditLog: FTPAuditLog?
    }

    /// Where files live: in memory, or under the root, cleared of the uploads a stopped process left half-written.
    func openStorage(file: ServerConfigFile, logger: Logger) async throws -> any FTPStorage {
        if self.memory || file.memory == true { return MemoryStorage() }
        guard let root = self.root ?? file.root else {
            throw ValidationError("give --root DIR (or \"root\" in the configuration file), or --memory")
        }
        let local: LocalFileStorage
        do { local = try LocalFileStorage(root: root) } catch { throw CommandFailure("\(error)") }
        // Uploads a previous process was writing when it died stay hidden forever otherwise.
        do {
            for leftover in try await local.removeAbandonedUploads() {
                logger.notice("cleaned up an upload left by a process that stopped", metadata: [
                    "path": "\(leftover.path)", "undo": "\(leftover)",
                ])
            }
        } catch {
            logger.warning("could not look for abandoned uploads", metadata: ["error": "\(error)"])
        }
        return local
    }

    /// The server's configuration, every value checked: a bad one is the operator's error, named by its option.
    func serverPlan(
        file: ServerConfigFile, storage: any FTPStorage, authenticator: UsersFileAuthenticator, anonymous: Bool
    ) throws -> ServerPlan {
        var configuration = FTPServerConfiguration(
            host: self.address ?? file.address ?? "0.0.0.0", port: self.port ?? file.port ?? 2121,
            storage: storage, authenticator: authenticator,
            anonymousUser: anonymous ? FTPUser(name: "anonymous", permissions: .readOnly) : nil)
        if let range = self.passivePorts ?? file.passivePorts {
            guard let parsed = Self.parseRange(range) else {
                throw ValidationError("passive ports must look like LOW-HIGH, LOW not above HIGH (50000-50100), got '\(range)'")
            }
            configuration.passivePorts = parsed
        }
        let advertised: FTPAdvertisedAddresses?
        do {
            advertised = try (self.advertisedAddress ?? file.advertisedAddress).map(FTPAdvertisedAddresses.init(parsing:))
            configuration.advertisedAddresses = try advertised?.resolved()
        } catch {
            throw ValidationError(error.message)
        }
        if let v = self.maxSessions ?? file.maxSessions { configuration.maxSessions = v }
        if let v = self.maxPerIP ?? file.maxSessionsPerAddress { configuration.maxSessionsPerAddress = v }
        configuration.maxSessionsPerUser = self.maxPerUser ?? file.maxSessionsPerUser
        func size(_ option: String, _ flag: String?, _ fromFile: FTPByteSize?) throws -> UInt64? {
            guard let flag else { return fromFile?.value }
            guard let value = FTPByteCount.parse(flag) else {
                throw ValidationError("--\(option) must be a byte count such as 1048576, 512K, 10M or 2G, got '\(flag)'")
            }
            return value
        }
        let quotaBytes = try size("quota-bytes", self.quotaBytes, file.quotaBytes)
        let quotaFiles = self.quotaFiles ?? file.quotaFiles
        if quotaBytes != nil || quotaFiles != nil {
            guard (quotaFiles ?? 0) >= 0 else { throw ValidationError("--quota-files must not be negative") }
            configuration.defaultQuota = FTPQuota(bytes: quotaBytes, files: quotaFiles)
        }
        configuration.bandwidth = FTPBandwidthLimits(
            uploadBytesPerSecond: try size("max-upload-rate", self.maxUploadRate, file.maxUploadRate),
            downloadBytesPerSecond: try size("max-download-rate", self.maxDownloadRate, file.maxDownloadRate))
        configuration.userBandwidth = FTPBandwidthLimits(
            uploadBytesPerSecond: try size("user-upload-rate", self.userUploadRate, file.userUploadRate),
            downloadBytesPerSecond: try size("user-download-rate", self.userDownloadRate, file.userDownloadRate))
        if let v = self.idleTimeout ?? file.idleTimeout { configuration.idleTimeout = .seconds(v) }
        if let cert = self.tlsCert ?? file.tlsCert {
            guard let key = self.tlsKey ?? file.tlsKey else { throw ValidationError("--tls-cert needs --tls-key") }
            var tls = TLSConfiguration.server(certificateChainPath: cert, privateKeyPath: key)
            switch self.tlsMinVersion ?? file.tlsMinVersion ?? "1.2" {
            case "1.2": tls.minimumVersion = .tls12
            case "1.3": tls.minimumVersion = .tls13
            case let other: throw ValidationError("--tls-min-version must be 1.2 or 1.3, got '\(other)'")
            }
            tls.cipherList = self.tlsCiphers ?? file.tlsCiphers
            tls.cipherSuites = self.tlsCipherSuites ?? file.tlsCipherSuites
            tls.groups = self.tlsGroups ?? file.tlsGroups
            tls.sealsDataRecords = !(self.tlsOpenSSLRecords || file.tlsOpenSSLRecords == true)
            configuration.tls = tls
            let policyName = self.tlsPolicy ?? file.tlsPolicy ?? "optional"
            guard let policy = FTPTLSPolicy(rawValue: policyName) else {
                throw ValidationError("--tls-policy must be optional, login or required, got '\(policyName)'")
            }
            configuration.tlsPolicy = policy
            configuration.requireTLSSessionReuse = !(self.allowTLSWithoutReuse || file.allowTLSWithoutReuse == true)
            configuration.requireTLSCloseNotify =
                !(self.allowTLSUploadWithoutCloseNotify || file.allowTLSUploadWithoutCloseNotify == true)
            configuration.implicitTLSPort = self.implicitTLSPort ?? file.implicitTLSPort
        } else if self.tlsKey != nil || self.tlsPolicy != nil || self.implicitTLSPort != nil || self.tlsMinVersion != nil
            || self.tlsCiphers != nil || self.tlsCipherSuites != nil || self.tlsGroups != nil || self.tlsOpenSSLRecords
        {
            throw ValidationError("--tls-key, --tls-policy, --implicit-tls-port and the other --tls-* options need --tls-cert")
        }
        configuration.trustedProxies = self.trustedProxies.isEmpty ? (file.trustedProxies ?? []) : self.trustedProxies
        do {
            configuration.addressPolicy = try FTPAddressPolicy(
                allow: self.allow.isEmpty ? (file.allow ?? []) : self.allow,
                deny: self.deny.isEmpty ? (file.deny ?? []) : self.deny)
        } catch {
            throw ValidationError("--allow/--deny: \(error)")
        }
        let auditLog: FTPAuditLog?
        do { auditLog = try (self.auditLog ?? file.auditLog).map(FTPAuditLog.init(path:)) } catch {
            throw CommandFailure(error.message)
        }
        configuration.auditSink = auditLog
        configuration.auditDigests = self.auditSHA256 || (file.auditSHA256 ?? false)
        configuration.shutdownGracePeriod = .seconds(self.shutdownGrace ?? file.shutdownGrace ?? 30)
        if configuration.auditDigests, auditLog == nil {
            throw ValidationError("--audit-sha256 needs --audit-log (the digests are written there)")
        }
        do { try configuration.validate() } catch { throw ValidationError(error.message) }
        return ServerPlan(configuration: configuration, advertised: advertised, auditLog: auditLog)
    }

    /// `LOW-HIGH`, LOW not above HIGH (the passive ports).
    static func parseRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low <= high else { return nil }
        return low...high
    }
}
