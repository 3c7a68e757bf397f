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
    var idleTimeout: Int?
    var logLevel: String?
    var shutdownGrace: Int?
    var tlsCert: String?
    var tlsKey: String?
    var tlsPolicy: String?
    var allowTLSWithoutReuse: Bool?
    var implicitTLSPort: Int?
    var trustedProxies: [String]?
    var metricsAddress: String?

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ path: String) throws -> ServerConfigFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LoadError(description: "cannot read configuration \(path): \(error.localizedDescription)")
        }
        do {
            let decoder = JSONDecoder()
            return try decoder.decode(ServerConfigFile.self, from: data)
        } catch DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c) {
            throw LoadError(description: "configuration \(path): wrong type for '\(c.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw LoadError(description: "configuration \(path) is not valid JSON: \(error)")
        }
    }
}
