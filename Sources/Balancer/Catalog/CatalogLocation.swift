import Foundation
public import Logging

/// Where a catalog lives, as operators write it: `sqlite:/var/lib/ftpbot/catalog.sqlite` (or a bare path), or
/// `postgres://user@host:5432/db` with optional `?sslmode=disable|require|verify-full&sslrootcert=PATH`, or
/// `?host=/run/postgresql` (and `&port=`) for a Unix socket directory. The password comes from the caller (a password file, the
/// environment), not from a URL that would end up in process listings and logs — though a URL's own password is
/// accepted. `&answer_timeout=SECONDS` (default 30) bounds how long one catalog call waits for the server.
///
/// TLS, when on, always verifies the server's certificate and name (`require` means the same as `verify-full`):
/// encryption to an unverified peer protects nothing. Without `sslmode`, loopback addresses and Unix sockets
/// go without TLS and every other host needs it.
public enum CatalogLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresCatalogStore.Configuration)

    /// Reads a location; `password` (when given) wins over one in the URL.
    public init(parsing text: String, password: String? = nil) throws(ClusterError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try Self.postgres(text, password: password))
        } else if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }  // sqlite:///abs/path
            guard !path.isEmpty else { throw Self.invalid(text, "it names no file") }
            self = .sqlite(path: path)
        } else if let scheme = text.range(of: "://").map({ String(text[..<$0.lowerBound]) }) {
            throw Self.invalid(text, "'\(scheme)' is not a catalog kind: use sqlite:PATH or postgres://USER@HOST/DB")
        } else {
            guard !text.isEmpty else { throw Self.invalid(text, "it is empty") }
            self = .sqlite(path: text)
        }
    }

    private static func invalid(_ text: String, _ why: String) -> ClusterError {
        ClusterError(.invalidConfiguration, "the catalog location '\(Self.redacted(text))' is not valid: \(why)")
    }

    /// The text with any password in it replaced, for messages. Read as Unicode scalars, not characters: a
    /// combining mark after `@` or `:` makes one character of the two, which a search for `@` would pass over and
    /// leave the password in the message.
    static func redacted(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let scheme = scalars.indices.dropLast(2).first(where: { scalars[$0...].starts(with: "://".unicodeScalars) }),
            let at = scalars[(scheme + 3)...].lastIndex(of: "@"),
            let colon = scalars[(scheme + 3)..<at].firstIndex(of: ":")
        else { return text }
        var shown = String.UnicodeScalarView()
        shown.append(contentsOf: scalars[..<colon])
        shown.append(contentsOf: ":***".unicodeScalars)
        shown.append(contentsOf: scalars[at...])
        return String(shown)
    }

    private static func postgres(_ text: String, password: String?) throws(ClusterError) -> PostgresCatalogStore.Configuration {
        guard let url = URLComponents(string: text) else { throw Self.invalid(text, "it is not a URL") }
        guard let user = url.user, !user.isEmpty else {
            throw Self.invalid(text, "it names no user (postgres://USER@HOST/DATABASE)")
        }
        var port = url.port ?? 5432
        var database = url.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.contains("/") else { throw Self.invalid(text, "the database name contains '/'") }
        if database.isEmpty { database = user }
        var socketDirectory: String?
        var sslmode: String?
        var caFile: String?
        var answerTimeout = PostgresCatalogStore.Configuration.defaultAnswerTimeout
        for item in url.queryItems ?? [] {
            switch item.name {
            case "host": socketDirectory = item.value
            case "sslmode": sslmode = item.value
            case "sslrootcert": caFile = item.value
            case "port":
                guard let value = item.value.flatMap(Int.init) else { throw Self.invalid(text, "port=\(item.value ?? "") is not a number") }
                port = value
            case "answer_timeout":
                guard let value = item.value.flatMap(Int.init), (1...86_400).contains(value) else {
                    throw Self.invalid(text, "answer_timeout=\(item.value ?? "") is not a number of seconds from 1 to 86400")
                }
                answerTimeout = .seconds(value)
            default:
                throw Self.invalid(text, "unknown option '\(item.name)' (known: host, port, sslmode, sslrootcert, answer_timeout)")
            }
        }
        guard (1...65535).contains(port) else { throw Self.invalid(text, "the port is out of range") }
        let endpoint: PostgresCatalogStore.Configuration.Endpoint
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(directory: socketDirectory, port: port)
        } else if let socketDirectory {
            throw Self.invalid(text, "host=\(socketDirectory) is not an absolute socket directory")
        } else {
            guard let host = url.host, !host.isEmpty else { throw Self.invalid(text, "it names no host") }
            endpoint = .tcp(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
        }
        let tls: PostgresCatalogStore.Configuration.TLSMode
        switch sslmode {
        case nil: tls = endpoint.isLocal ? .disable : .verifyFull
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .verifyFull
        case let other?:
            throw Self.invalid(text, "sslmode=\(other) is not supported: use disable or verify-full (a mode that falls back to plain text silently protects nothing)")
        }
        if caFile != nil && tls == .disable { throw Self.invalid(text, "sslrootcert is given but TLS is off") }
        return PostgresCatalogStore.Configuration(
            endpoint: endpoint, user: user, password: password ?? url.password,
            database: database, tls: tls, caFile: caFile, answerTimeout: answerTimeout)
    }

    /// Opens the store (SQLite: creating the file; PostgreSQL: connecting), migrating its schema.
    public func open(legacySpace: Space = .default, logger: Logger) async throws(ClusterError) -> any CatalogStore {
        switch self {
        case .sqlite(let path):
            let store = try SQLiteCatalogStore(path: path, legacySpace: legacySpace)
            if store.migratedFiles > 0 {
                logger.notice("catalog migrated to spaces", metadata: [
                    "files": "\(store.migratedFiles)", "space": "\(legacySpace)", "catalog": "\(path)"])
            }
            return store
        case .postgres(let configuration):
            return try await PostgresCatalogStore.open(configuration, logger: logger)
        }
    }

    /// The location without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let configuration): configuration.description
        }
    }
}
