import Balancer

extension BotConfiguration {
    /// Where the catalog lives: `"sqlite:PATH"` or `"postgres://USER@HOST:PORT/DB"`, or an object with `url` and
    /// where its password is (`passwordFile`, `passwordEnv`; default `$PGPASSWORD`).
    struct Catalog: Decodable, Sendable {
        var url: String
        var passwordFile: String?
        var passwordEnv: String?
        /// `passwordFile`'s text, read once at start (``BotConfiguration/readPasswordFiles()``). Not a key of the file.
        var passwordFromFile: String? = nil

        init(url: String, passwordFile: String? = nil, passwordEnv: String? = nil) {
            self.url = url
            self.passwordFile = passwordFile
            self.passwordEnv = passwordEnv
        }

        private enum Keys: String, CodingKey { case url, passwordFile, passwordEnv }

        init(from decoder: any Decoder) throws {
            if let url = try? decoder.singleValueContainer().decode(String.self) {
                self.init(url: url)
                return
            }
            let object = try decoder.container(keyedBy: Keys.self)
            self.init(url: try object.decode(String.self, forKey: .url),
                      passwordFile: try object.decodeIfPresent(String.self, forKey: .passwordFile),
                      passwordEnv: try object.decodeIfPresent(String.self, forKey: .passwordEnv))
        }

        /// The location, its password read now (never logged).
        func location(environment: [String: String]) throws -> CatalogLocation {
            var password = environment["PGPASSWORD"]
            if let file = self.passwordFile {
                password = try self.passwordFromFile ?? BotConfiguration.password(inFile: file)
            } else if let env = self.passwordEnv {
                password = environment[env]
            }
            return try CatalogLocation(parsing: self.url, password: password)
        }
    }
}
