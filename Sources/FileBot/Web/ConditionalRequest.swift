package import Foundation

/// The preconditions of a `GET` or `HEAD` on a file (RFC 9110, section 13), evaluated in the RFC's order against
/// the file's entity tag and modification time.
///
/// A browser keeps what a share link sent (`ETag`, `Last-Modified`, `Cache-Control: no-cache`) and asks again with
/// `If-None-Match` or `If-Modified-Since`: an unchanged file is answered `304 Not Modified`, without sending it
/// again. `If-Match` and `If-Unmodified-Since` let a client insist on the version it knows (`412` otherwise).
package enum ConditionalRequest: Sendable, Hashable {
    /// Serve the file (or its range).
    case proceed
    /// `304 Not Modified`: the client's copy is current.
    case notModified
    /// `412 Precondition Failed`: the file is not the version the client asked for.
    case preconditionFailed

    /// Evaluates the four headers for a file whose (strong) tag is `etag`, quotes included, last modified at
    /// `lastModified` (whole seconds count; nil when unknown). Malformed dates are ignored, as the RFC asks; `now`
    /// places the two-digit years of the obsolete date form (``HTTPDate/parse(_:now:)``).
    package static func evaluate(
        ifMatch: String?, ifNoneMatch: String?, ifModifiedSince: String?, ifUnmodifiedSince: String?,
        etag: String, lastModified: Date?, now: Date
    ) -> ConditionalRequest {
        // 1. If-Match (strong comparison), else 2. If-Unmodified-Since.
        if let ifMatch {
            guard Self.tags(ifMatch, match: etag, weak: false) else { return .preconditionFailed }
        } else if let ifUnmodifiedSince, let since = HTTPDate.parse(ifUnmodifiedSince, now: now), let lastModified {
            guard lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970 else {
                return .preconditionFailed
            }
        }
        // 3. If-None-Match (weak comparison), else 4. If-Modified-Since.
        if let ifNoneMatch {
            return Self.tags(ifNoneMatch, match: etag, weak: true) ? .notModified : .proceed
        }
        if let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince, now: now), let lastModified,
            lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        {
            return .notModified
        }
        return .proceed
    }

    /// Whether a `Range` request with this `If-Range` gets the part it asks for (RFC 9110, section 13.1.5); when
    /// not, the client's copy is stale and the whole file is the answer. The header names the version the client
    /// has: an entity tag, compared strongly (a weak tag never matches), or a date, which matches only the file's
    /// `Last-Modified` (whole seconds) and only while that is a strong validator: at least a second before `now`,
    /// so a second change within the same second cannot hide behind it.
    package static func rangeApplies(ifRange: String?, etag: String, lastModified: Date?, now: Date) -> Bool {
        guard let ifRange else { return true }
        let text = ifRange.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("\"") || text.hasPrefix("W/") { return text == etag }
        guard let date = HTTPDate.parse(text, now: now), let lastModified else { return false }
        let modified = lastModified.timeIntervalSince1970.rounded(.down)
        return date.timeIntervalSince1970 == modified && modified + 1 <= now.timeIntervalSince1970
    }

    /// Whether the header's list (`*`, or entity tags such as `"abc", W/"def"`) names `etag`. Strong comparison
    /// never matches a weak tag; tags are read as quoted strings, so a comma inside one does not split it.
    package static func tags(_ header: String, match etag: String, weak: Bool) -> Bool {
        let text = header.trimmingCharacters(in: .whitespaces)
        if text == "*" { return true }
        var rest = Substring(text)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," || $0 == "\t" }
            var isWeak = false
            if rest.hasPrefix("W/") {
                isWeak = true
                rest = rest.dropFirst(2)
            }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return false }
            let tag = rest[rest.startIndex...close]
            if tag == etag && (weak || !isWeak) { return true }
            rest = rest[rest.index(after: close)...]
        }
        return false
    }
}
