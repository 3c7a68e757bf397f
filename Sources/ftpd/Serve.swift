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

        let storage = try await self.openStorage(file: file, logger: logger)

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

        let plan = try self.serverPlan(file: file, storage: storage, authenticator: authenticator, anonymous: anonymous)
        let configuration = plan.configuration

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
        // SIGHUP and changes of the users file: the reloads.
        let reloads = Self.reloadServices(
            server: server, authenticator: authenticator, advertised: plan.advertised, auditLog: plan.auditLog,
            shadowedAccount: shadowedAccount, logger: logger)
        // Shut down in reverse order: the reloads stop, then the server drains, then the metrics endpoint goes.
        let services: [any Service] = (metricsEndpoint.map { [$0] } ?? []) + [server] + reloads
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        plan.auditLog?.flush()
    }
}
