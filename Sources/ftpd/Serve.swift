import ArgumentParser
import FTPKit
import Metrics
import Prometheus
import Foundation
import Logging
import NIOCore
import NIOPosix
import OperationsHTTP
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FTP server (the default command).")

    @Option(help: "A JSON configuration file; command-line options override its values.")
    var config: String?

    @Option(help: "The directory to serve.")
    var root: String?

    @Flag(help: "Keep files in memory instead of a directory (for tests and demos).")
    var memory = false

    @Option(help: "The address to listen on.")
    var address: String?

    @Option(help: "The control port.")
    var port: Int?

    @Option(help: "The users file (see 'ftpd user add').")
    var users: String?

    @Flag(help: "Allow anonymous, read-only logins.")
    var anonymous = false

    @Option(name: .customLong("passive-ports"), help: "The passive port range, LOW-HIGH.")
    var passivePorts: String?

    @Option(name: .customLong("advertised-address"), help: "The address announced in PASV replies: IPv4 or a DNS name, or by client network as CIDR=ADDRESS,… (e.g. 10.8.0.0/16=10.8.0.2,0.0.0.0/0=ftp.example.net); names are resolved at start and on SIGHUP.")
    var advertisedAddress: String?

    @Option(name: .customLong("max-sessions"), help: "The most sessions at once.")
    var maxSessions: Int?

    @Option(name: .customLong("max-per-ip"), help: "The most sessions from one address.")
    var maxPerIP: Int?

    @Option(name: .customLong("max-per-user"), help: "The most sessions one user may have at once (users file: maxSessions per user).")
    var maxPerUser: Int?

    @Option(name: .customLong("quota-bytes"), help: "Each user's quota in bytes (512K, 10M, 2G…) for users without their own (users file: quotaBytes).")
    var quotaBytes: String?

    @Option(name: .customLong("quota-files"), help: "Each user's quota in files, for users without their own (users file: quotaFiles).")
    var quotaFiles: Int?

    @Option(name: .customLong("max-upload-rate"), help: "The whole server's upload rate in bytes per second (512K, 10M…).")
    var maxUploadRate: String?

    @Option(name: .customLong("max-download-rate"), help: "The whole server's download rate in bytes per second.")
    var maxDownloadRate: String?

    @Option(name: .customLong("user-upload-rate"), help: "Each user's upload rate, shared by their sessions (users file: uploadRate).")
    var userUploadRate: String?

    @Option(name: .customLong("user-download-rate"), help: "Each user's download rate, shared by their sessions (users file: downloadRate).")
    var userDownloadRate: String?

    @Option(name: .customLong("idle-timeout"), help: "Seconds before an idle session is closed.")
    var idleTimeout: Int?

    @Option(name: .customLong("audit-log"), help: "Append one JSON line per login, transfer, delete, rename and mkdir to this file (reopened on SIGHUP).")
    var auditLog: String?

    @Flag(name: .customLong("audit-sha256"), help: "Record each transfer's SHA-256 in the audit log (costs a digest pass; downloads then skip sendfile).")
    var auditSHA256 = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds to let transfers finish on SIGTERM.")
    var shutdownGrace: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: enables FTPS (AUTH TLS).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("tls-policy"), help: "optional, login (TLS required to log in) or required (logins and data).")
    var tlsPolicy: String?

    @Option(name: .customLong("trusted-proxy"), help: "A load balancer's address allowed to send PROXY protocol headers (v1/v2) with the client's real address (repeatable).")
    var trustedProxies: [String] = []

    @Option(name: .customLong("allow"), help: "Only clients in this CIDR block or address may connect (repeatable; IPv4 or IPv6).")
    var allow: [String] = []

    @Option(name: .customLong("deny"), help: "Clients in this CIDR block or address are refused (repeatable; wins over --allow).")
    var deny: [String] = []

    @Option(name: .customLong("metrics-address"), help: "Serve Prometheus metrics (/metrics) and a health check (/health) on HOST:PORT (an IPv6 host in brackets; port 0: any free port, logged).")
    var metricsAddress: String?

    @Option(name: .customLong("implicit-tls-port"), help: "Also listen for implicit FTPS (TLS from the first byte; usually 990). Needs --tls-cert.")
    var implicitTLSPort: Int?

    @Option(name: .customLong("tls-min-version"), help: "The oldest TLS version accepted: 1.2 (default) or 1.3.")
    var tlsMinVersion: String?

    @Option(name: .customLong("tls-ciphers"), help: "OpenSSL cipher list for TLS 1.2, e.g. ECDHE+AESGCM:ECDHE+CHACHA20.")
    var tlsCiphers: String?

    @Option(name: .customLong("tls-ciphersuites"), help: "TLS 1.3 cipher suites in order of preference, e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256.")
    var tlsCipherSuites: String?

    @Option(name: .customLong("tls-groups"), help: "Key exchange groups in order of preference, e.g. X25519:P-256.")
    var tlsGroups: String?

    @Flag(name: .customLong("allow-tls-without-reuse"), help: "Accept data connections that do not resume the control TLS session (old clients such as Python's ftplib).")
    var allowTLSWithoutReuse = false

    @Flag(name: .customLong("allow-tls-upload-without-close-notify"), help: "Store TLS uploads that end with a bare TCP close instead of a close_notify (clients such as pyftpdlib's ftpbench -S); such an upload may have been cut short.")
    var allowTLSUploadWithoutCloseNotify = false

    @Flag(name: .customLong("tls-openssl-records"), help: "Let OpenSSL encrypt the records of TLS 1.3 data connections, as it does on control connections, instead of ftpd sealing them from the file's buffer (two copies of every byte fewer).")
    var tlsOpenSSLRecords = false

    func run() async throws {
        AllocatorTuning.apply()
        var file = ServerConfigFile()
        if let config {
            do { file = try ServerConfigFile.load(config) } catch { throw CommandFailure("\(error)") }
        }
        let level = Logger.Level(rawValue: self.logLevel ?? file.logLevel ?? "info")
        guard let level else { throw ValidationError("unknown log level '\(self.logLevel ?? file.logLevel ?? "")'") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ftpd")

        let storage: any FTPStorage
        if self.memory || file.memory == true {
            storage = MemoryStorage()
        } else {
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
            storage = local
        }

        let usersPath = self.users ?? file.users
        let authenticator: UsersFileAuthenticator
        if let usersPath {
            do { authenticator = try UsersFileAuthenticator(path: usersPath) } catch { throw CommandFailure("\(error)") }
        } else {
            authenticator = UsersFileAuthenticator(file: UsersFile())
        }
        let anonymous = self.anonymous || file.anonymous == true
        if usersPath == nil && !anonymous {
            throw ValidationError("nobody could log in: give --users FILE, --anonymous, or both")
        }
        // With anonymous logins on, USER anonymous (or ftp) never reaches the users file: such an account could
        // not log in, and its owner would find themselves read-only and anonymous without being told why.
        let shadowedAccount = { @Sendable () -> String? in
            guard anonymous else { return nil }
            return authenticator.userNames.first { FTPUser.anonymousNames.contains($0.lowercased()) }
        }
        if let usersPath, let shadowed = shadowedAccount() {
            throw CommandFailure(
                "users file \(usersPath): user '\(shadowed)' could never log in, since --anonymous takes that name for "
                    + "anonymous, read-only logins; rename or remove the user, or drop --anonymous")
        }

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

        // Metrics are bootstrapped before the server exists: swift-metrics binds each metric to the backend at
        // its creation.
        var metricsTarget: (String, Int)?
        var registry: PrometheusCollectorRegistry?
        if let address = self.metricsAddress ?? file.metricsAddress {
            guard let parsed = ListenAddress(parsing: address) else {
                throw ValidationError("--metrics-address must be HOST:PORT (an IPv6 host in brackets: [::1]:9100), got '\(address)'")
            }
            metricsTarget = (parsed.host, parsed.port)
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            registry = prometheus
        }
        // Every session holds a descriptor: run with the hard limit, and say so when even that is short.
        if let shortfall = OpenFilesLimit.raiseSoftLimit(logging: logger)?.shortfall(sessions: configuration.maxSessions) {
            logger.warning("\(shortfall)")
        }
        let server: FTPServer
        do {
            server = try await FTPServer.bind(configuration: configuration, logger: logger)
        } catch let error as TLSError {
            throw CommandFailure("TLS: \(error.message)")
        } catch {
            // The operator's words, not the system call's or the resolver's: which address, and why it cannot be had.
            let ports = [configuration.port] + (configuration.implicitTLSPort.map { [$0] } ?? [])
            let address = "\(configuration.host):\(ports.map(String.init).joined(separator: " or "))"
            throw CommandFailure(ListenFailure.describe(error, address: address))
        }
        var metricsEndpoint: MetricsEndpoint?
        if let (host, port) = metricsTarget, let registry {
            let maxSessions = configuration.maxSessions
            let endpoint: MetricsEndpoint
            do {
                endpoint = try await MetricsEndpoint.start(
                    host: host, port: port, render: { registry.emitToString() },
                    healthy: { server.sessionCount < maxSessions })
            } catch {
                throw CommandFailure("metrics: " + ListenFailure.describe(error, address: "\(host):\(port)"))
            }
            metricsEndpoint = endpoint
            logger.info("metrics listening", metadata: ["metrics_port": "\(endpoint.port)"])
        }
        // SIGTERM/SIGINT: a graceful shutdown of the group (the server drains its sessions for the grace period);
        // SIGHUP: the reloads below.
        let reloader = SignalActions(trapping: [.sighup], name: "reload") {
            do {
                try authenticator.reload()
                logger.info("users reloaded")
                if let shadowed = shadowedAccount() {
                    logger.warning("a user can never log in: --anonymous takes the name for anonymous logins", metadata: ["user": "\(shadowed)"])
                }
            } catch {
                logger.error("users not reloaded, keeping the previous ones", metadata: ["error": "\(error)"])
            }
            if let advertised {
                // DNS names may point elsewhere now (a new public address).
                do {
                    let fresh = try advertised.resolved()
                    try server.updateAdvertisedAddresses(fresh)
                    logger.info("advertised addresses resolved", metadata: ["addresses": "\(fresh)"])
                } catch {
                    logger.error("advertised addresses not resolved, keeping the previous ones", metadata: ["error": "\(error)"])
                }
            }
            if let auditLog {
                // After a rotation tool renamed the file: new records go to a new file at the same path.
                do {
                    try auditLog.reopen()
                    logger.info("audit log reopened")
                } catch {
                    logger.error("audit log not reopened, writing to the previous file", metadata: ["error": "\(error)"])
                }
            }
            guard server.configuration.tls != nil else { return }
            do {
                try server.reloadTLSCertificate()
                logger.info("TLS certificate reloaded")
            } catch {
                logger.error("TLS certificate not reloaded, keeping the previous one", metadata: ["error": "\(error)"])
            }
        }
        // `ftpd user add` and edits of the users file take effect without a SIGHUP.
        let usersWatch = PeriodicAction(every: .seconds(2)) {
            do {
                if try authenticator.reloadIfChanged() {
                    logger.info("users file changed: users reloaded")
                    if let shadowed = shadowedAccount() {
                        logger.warning("a user can never log in: --anonymous takes the name for anonymous logins", metadata: ["user": "\(shadowed)"])
                    }
                }
            } catch {
                logger.error("users file changed but not reloaded, keeping the previous users", metadata: ["error": "\(error)"])
            }
        }
        // Shut down in reverse order: the reloads stop, then the server drains, then the metrics endpoint goes.
        let services: [any Service] = (metricsEndpoint.map { [$0] } ?? []) + [server, reloader, usersWatch]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        auditLog?.flush()
    }

    static func parseRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low <= high else { return nil }
        return low...high
    }
}
