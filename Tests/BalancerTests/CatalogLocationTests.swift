import Balancer
import Testing
import SeedTestSupport

/// How operators write where the catalog is, and what a malformed location answers.
@Suite(.tags(.unit), .inTestSet(.unit)) struct CatalogLocationTests {
    /// A node's configuration describes itself without its password, so logging it cannot leak the password.
    @Test func nodeConfigurationsHideTheirPassword() {
        var node = NodeConfiguration(name: "n1", host: "10.8.0.2", port: 2121, user: "bot", password: "node-s3cret", directory: "files")
        #expect("\(node)" == "n1 (ftp://bot@10.8.0.2:2121/files)")
        node.directory = "/srv/seed"
        for text in ["\(node)", String(reflecting: node), "\([node])", String(describing: Optional(node))] {
            #expect(!text.contains("node-s3cret"), "\(text)")
        }
    }

    @Test func sqliteLocations() throws {
        #expect(try CatalogLocation(parsing: "sqlite:/var/lib/ftpbot/catalog.sqlite") == .sqlite(path: "/var/lib/ftpbot/catalog.sqlite"))
        #expect(try CatalogLocation(parsing: "sqlite:///srv/c.sqlite") == .sqlite(path: "/srv/c.sqlite"))
        #expect(try CatalogLocation(parsing: "data/catalog.sqlite") == .sqlite(path: "data/catalog.sqlite"))
    }

    @Test func postgresLocations() throws {
        let remote = try #require(try CatalogLocation(parsing: "postgres://bot@db.example.net/files").postgres)
        #expect(remote.endpoint == .tcp(host: "db.example.net", port: 5432))
        #expect(remote.user == "bot" && remote.database == "files" && remote.password == nil)
        #expect(remote.tls == .verifyFull, "a remote host gets verified TLS unless told otherwise")

        let local = try CatalogLocation(parsing: "postgresql://bot:s%40cret@127.0.0.1:6543/?sslmode=disable")
        let loopback = try #require(local.postgres)
        #expect(loopback.endpoint == .tcp(host: "127.0.0.1", port: 6543) && loopback.tls == .disable)
        #expect(loopback.password == "s@cret" && loopback.database == "bot", "no database: the user's, as libpq does")
        #expect(!local.description.contains("s@cret") && !local.description.contains("cret"))

        let socket = try #require(try CatalogLocation(parsing: "postgres://bot@/files?host=/run/postgresql", password: "given").postgres)
        #expect(socket.endpoint == .unixSocket(directory: "/run/postgresql", port: 5432) && socket.password == "given")

        let v6 = try #require(try CatalogLocation(parsing: "postgres://bot@[::1]:5433/db").postgres)
        #expect(v6.endpoint == .tcp(host: "::1", port: 5433) && v6.tls == .disable)
        let ca = try #require(try CatalogLocation(parsing: "postgres://bot@db/x?sslmode=require&sslrootcert=/etc/ca.pem").postgres)
        #expect(ca.tls == .verifyFull && ca.caFile == "/etc/ca.pem", "require verifies too")

        #expect(remote.answerTimeout == .seconds(30), "a stalled server answers in 30 s unless told otherwise")
        let patient = try #require(try CatalogLocation(parsing: "postgres://bot@db/x?answer_timeout=120").postgres)
        #expect(patient.answerTimeout == .seconds(120))
    }

    @Test(arguments: [
        ("", "empty"),
        ("sqlite:", "no file"),
        ("mysql://u@h/db", "not a catalog kind"),
        ("postgres://db.example.net/files", "no user"),
        ("postgres://u@h/db?sslmode=prefer", "sslmode=prefer"),
        ("postgres://u@h/db?pool=3", "unknown option 'pool'"),
        ("postgres://u@h/db?host=relative", "not an absolute socket directory"),
        ("postgres://u@127.0.0.1/db?sslmode=disable&sslrootcert=/ca.pem", "TLS is off"),
        ("postgres://u:hunter2@h:99999/db", "out of range"),
        ("postgres://u@h/db?answer_timeout=0", "answer_timeout=0 is not a number of seconds from 1 to 86400"),
        ("postgres://u@h/db?answer_timeout=2.5", "answer_timeout=2.5 is not a number of seconds"),
        ("postgres://u@h/db?answer_timeout", "answer_timeout= is not a number of seconds"),
        // A combining mark after '@' or ':' (found by the settings fuzz target): one character with it, yet the
        // password is still found and hidden.
        ("postgres://u:hunter2@\u{733}", "it is not a URL"),
        ("postgres://u:\u{301}hunter2@h/db?x=1", "is not valid"),
    ])
    func malformedLocationsAreRefusedClearly(text: String, why: String) {
        let error = #expect(throws: ClusterError.self) { _ = try CatalogLocation(parsing: text) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(why) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("hunter2") == false, "a password never appears in a message")
    }
}

extension CatalogLocation {
    /// The PostgreSQL settings, when this is a PostgreSQL location.
    var postgres: PostgresCatalogStore.Configuration? {
        if case .postgres(let configuration) = self { configuration } else { nil }
    }
}
