import FTPKit
import Foundation

/// The JSON form of `ftpd serve`'s options (`--config FILE`): the same names, in camel case.
struct ServerConfigFile: Codable {
    var root: String?
    var memory: Bool?
    var address: String?
    var port: Int?
    var users: String?
    var anonymous: Bool?
    var passivePorts: String?
    var advertisedAddress: String?
    var maxSessions: Int?
    var maxSessionsPerAddress: Int?
    var maxSessionsPerUser: Int?
    var quotaBytes: FTPByteSize?
    var quotaFiles: Int?
    var maxUploadRate: FTPByteSize?
    var maxDownloadRate: FTPByteSize?
    var userUploadRate: FTPByteSize?
    var userDownloadRate: FTPByteSize?
    var idleTimeout: Int?
    var logLevel: String?
    var shutdownGrace: Int?
    var tlsCert: String?
    var tlsKey: String?
    var tlsPolicy: String?
    var allowTLSWithoutReuse: Bool?
    var allowTLSUploadWithoutCloseNotify: Bool?
    var implicitTLSPort: Int?
    var tlsMinVersion: String?
    var tlsCiphers: String?
    var tlsCipherSuites: String?
    var tlsGroups: String?
    var tlsOpenSSLRecords: Bool?
    var trustedProxies: [String]?
    var metricsAddress: String?
    var auditLog: String?
    var auditSHA256: Bool?
    var allow: [String]?
    var deny: [String]?

    /// The file with its relative paths taken beside it (``ConfigurationPath``).
    func anchored(_ paths: ConfigurationPath) -> ServerConfigFile {
        var file = self
        file.root = paths.resolve(self.root)
        file.users = paths.resolve(self.users)
        file.tlsCert = paths.resolve(self.tlsCert)
        file.tlsKey = paths.resolve(self.tlsKey)
        file.auditLog = paths.resolve(self.auditLog)
        return file
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ path: String) throws -> ServerConfigFile {
        let data: Data
        do { data = try WholeFile.data(path) } catch {
            throw LoadError(description: "cannot read configuration \(path): \(WholeFile.reason(error))")
        }
        do {
            let decoded = try JSONDecoder().decode(ServerConfigFile.self, from: data)
            // JSONDecoder skips keys it does not know: a misspelt option would be ignored without a word.
            // The known keys are this type's properties (no custom coding keys).
            let known = Set(Mirror(reflecting: ServerConfigFile()).children.compactMap(\.label))
            if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let unknown = object.keys.sorted().first(where: { !known.contains($0) })
            {
                throw LoadError(description: "configuration \(path): unknown option '\(unknown)' (known: "
                    + known.sorted().joined(separator: ", ") + ")")
            }
            return decoded.anchored(ConfigurationPath(file: path))
        } catch let error as LoadError {
            throw error
        } catch DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c) {
            let key = c.codingPath.map(\.stringValue).joined(separator: ".")
            throw LoadError(description: key.isEmpty
                ? "configuration \(path) must be a JSON object of options"
                : "configuration \(path): wrong type for '\(key)'")
        } catch DecodingError.dataCorrupted(let c) where !c.codingPath.isEmpty {
            let key = c.codingPath.map(\.stringValue).joined(separator: ".")
            throw LoadError(description: "configuration \(path): '\(key)' is \(c.debugDescription)")
        } catch {
            if let misfit = JSONSyntax.problem(in: data) == nil ? JSONNumberMisfit.find(decoding: ServerConfigFile.self, in: data) : nil {
                throw LoadError(description: "configuration \(path): '\(misfit.path)': \(misfit.problem)")
            }
            throw LoadError(description: "configuration \(path) is " + (JSONSyntax.problem(in: data) ?? "not valid JSON"))
        }
    }
}
