import Foundation
import NIOSSL
import PostgresNIO

extension PostgresCatalogStore {
    /// How to reach the server.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// Where the server listens.
        public enum Endpoint: Sendable, Hashable {
            case tcp(host: String, port: Int)
            /// The server's socket directory (it listens on `DIRECTORY/.s.PGSQL.PORT`).
            case unixSocket(directory: String, port: Int)

            var isLocal: Bool {
                switch self {
                case .unixSocket: true
                case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
                }
            }
        }

        /// Whether the connection is encrypted.
        public enum TLSMode: Sendable, Hashable {
            case disable
            /// TLS that verifies the server's certificate chain (system roots, or `caFile`) and name.
            case verifyFull
        }

        /// Host and port, or a Unix socket.
        public var endpoint: Endpoint
        /// The role to log in as.
        public var user: String
        /// That role's password (`nil` for trust or peer authentication); never logged.
        public var password: String?
        /// The database holding the catalog (it must exist; its tables are created on first use).
        public var database: String
        /// TLS to the server: off, or required with the server's certificate verified.
        public var tls: TLSMode
        /// PEM certificates to trust instead of the system's.
        public var caFile: String?
        /// How long one call (a read, a write, a name hold) waits for the server before it fails with
        /// `catalogUnavailable`. A stalled server or a lost network otherwise holds a caller for as long as TCP
        /// takes to give up on the connection, which is hours.
        public var answerTimeout: Duration
        /// ``answerTimeout`` unless set: far above any answer a working server gives, short enough for a person.
        public static let defaultAnswerTimeout: Duration = .seconds(30)

        /// A configuration; see each property.
        public init(
            endpoint: Endpoint, user: String, password: String? = nil, database: String, tls: TLSMode = .disable,
            caFile: String? = nil, answerTimeout: Duration = Self.defaultAnswerTimeout
        ) {
            self.endpoint = endpoint
            self.user = user
            self.password = password
            self.database = database
            self.tls = tls
            self.caFile = caFile
            self.answerTimeout = answerTimeout
        }

        /// `postgres://user@host:port/db`, without the password.
        public var description: String {
            switch self.endpoint {
            case .tcp(let host, let port):
                let h = host.contains(":") ? "[\(host)]" : host
                return "postgres://\(self.user)@\(h):\(port)/\(self.database)" + (self.tls == .verifyFull ? "?sslmode=verify-full" : "")
            case .unixSocket(let directory, let port):
                return "postgres://\(self.user)@/\(self.database)?host=\(directory)&port=\(port)"
            }
        }

        /// TLS settings that verify the server: its chain against the system's roots (or `caFile`) and its name.
        private func tlsSettings() throws(ClusterError) -> NIOSSL.TLSConfiguration? {
            guard self.tls == .verifyFull else { return nil }
            var settings = NIOSSL.TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .fullVerification
            if let caFile = self.caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw ClusterError(.invalidConfiguration, "the catalog's CA file \(caFile) cannot be read")
                }
                settings.trustRoots = .file(caFile)
            }
            return settings
        }

        func connection() throws(ClusterError) -> PostgresConnection.Configuration {
            switch self.endpoint {
            case .unixSocket(let directory, let port):
                return PostgresConnection.Configuration(
                    unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: self.user, password: self.password,
                    database: self.database)
            case .tcp(let host, let port):
                var tls = PostgresConnection.Configuration.TLS.disable
                if let settings = try self.tlsSettings() {
                    do {
                        tls = .require(try NIOSSLContext(configuration: settings))
                    } catch {
                        throw ClusterError(.invalidConfiguration, "the catalog's TLS settings are not usable: \(error)")
                    }
                }
                return PostgresConnection.Configuration(
                    host: host, port: port, username: self.user, password: self.password, database: self.database, tls: tls)
            }
        }

        func client() throws(ClusterError) -> PostgresClient.Configuration {
            var client: PostgresClient.Configuration
            switch self.endpoint {
            case .unixSocket(let directory, let port):
                client = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: self.user,
                               password: self.password, database: self.database)
            case .tcp(let host, let port):
                var tls = PostgresClient.Configuration.TLS.disable
                if let settings = try self.tlsSettings() { tls = .require(settings) }
                client = .init(host: host, port: port, username: self.user, password: self.password,
                               database: self.database, tls: tls)
            }
            client.options.maximumConnections = 8
            return client
        }
    }
}
