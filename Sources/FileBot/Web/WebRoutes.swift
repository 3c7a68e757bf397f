package import HTTPTypes

/// The front end's path shapes and the methods each answers. A request whose path has one of these shapes but whose
/// method is another gets 405 with `Allow` (RFC 9110 §15.5.6), not the 404 of a path that is no link: a client that
/// sent `POST` to a download link learns its mistake, and the answer depends on the path's shape only, so it tells
/// nothing about whether the token is good (nor is it counted as a guess).
/// The router is built from this table too, so what is served and what `Allow` says cannot drift apart.
package enum WebRoutes {
    /// What answers a route.
    package enum Handler: Sendable {
        case home, robots, download, uploadPage, uploadForm, uploadRaw
    }

    /// Hummingbird route patterns (`:name` is one non-empty segment), each method's handler in `Allow`'s order.
    package static let table: [(pattern: String, methods: [(HTTPRequest.Method, Handler)])] = [
        ("/", [(.get, .home), (.head, .home)]),
        ("robots.txt", [(.get, .robots), (.head, .robots)]),
        ("d/:token/:name", [(.get, .download), (.head, .download)]),
        ("d/:token", [(.get, .download), (.head, .download)]),
        ("u/:token", [(.get, .uploadPage), (.head, .uploadPage), (.post, .uploadForm)]),
        ("u/:token/:name", [(.put, .uploadRaw)]),
    ]

    /// The methods a path of one of the table's shapes answers, or `nil` when the path has none of them.
    package static func allowedMethods(path: Substring) -> [HTTPRequest.Method]? {
        // Hummingbird resolves routes on the path's non-empty segments (`/d//x/` is `/d/x`): so does this.
        let segments = path.split(separator: "/")
        for route in Self.table {
            let parts = route.pattern.split(separator: "/")
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) { return route.methods.map(\.0) }
        }
        return nil
    }

    /// The `Allow` field's value for `methods`.
    package static func allowField(_ methods: [HTTPRequest.Method]) -> String {
        methods.map(\.rawValue).joined(separator: ", ")
    }
}
