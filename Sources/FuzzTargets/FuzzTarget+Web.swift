import FileBot
import Foundation

extension FuzzTarget {
    /// The key the web target signs with: any fixed key will do, the fuzzer must not find a token it accepts.
    private static let linkSigner = LinkSigner(key: Array(repeating: 0x5A, count: 32))
    /// A moment before any expiry the fuzzer can write, so signed claims are judged on their form, not their age.
    private static let epoch = Date(timeIntervalSince1970: 0)
    /// When the conditional headers are judged (2026-12-07): what the obsolete date form's two-digit years are
    /// placed against.
    private static let now = Date(timeIntervalSince1970: 1_796_644_800)

    /// What a share link's visitor controls: the `Range` header, the conditional headers, the token in the path;
    /// and the file name the download's `Content-Disposition` carries (a name an uploader chose).
    static func web(_ bytes: [UInt8]) {
        let s = Self.text(bytes)
        Self.byteRanges(s)
        Self.conditionalHeaders(s)
        Self.linkTokens(bytes, s)
        Self.contentDisposition(s)
    }

    /// A satisfiable range lies within the file, whatever the header says.
    private static func byteRanges(_ s: String) {
        for header in [s, "bytes=" + s] {
            for size: UInt64 in [0, 1, 1000, UInt64(header.utf8.count), 1 << 62] {
                if case .partial(let start, let end) = ByteRange.parse(header, size: size) {
                    check(start <= end && end < size, "range \(start)-\(end) of \(size) bytes from \(header.debugDescription)")
                }
            }
        }
    }

    /// A tag that matches strongly matches weakly too; a range is served only to the current version; dates, in
    /// any of the three forms, read back as written.
    private static func conditionalHeaders(_ s: String) {
        let etag = "\"v1\"", modified = Date(timeIntervalSince1970: 1_790_000_000)
        if ConditionalRequest.tags(s, match: etag, weak: false) {
            check(ConditionalRequest.tags(s, match: etag, weak: true), "\(s.debugDescription) matches strongly, not weakly")
        }
        _ = ConditionalRequest.evaluate(
            ifMatch: s, ifNoneMatch: s, ifModifiedSince: s, ifUnmodifiedSince: s, etag: etag, lastModified: modified,
            now: Self.now)
        _ = ConditionalRequest.evaluate(
            ifMatch: nil, ifNoneMatch: nil, ifModifiedSince: s, ifUnmodifiedSince: s, etag: etag, lastModified: nil,
            now: Self.now)
        let date = HTTPDate.parse(s, now: Self.now)
        if ConditionalRequest.rangeApplies(ifRange: s, etag: etag, lastModified: modified, now: Self.now) {
            check(s.trimmingCharacters(in: .whitespaces) == etag || date == modified, "If-Range \(s.debugDescription) names another version")
        }
        if let date {
            let text = HTTPDate.format(date)
            check(HTTPDate.parse(text, now: Self.now) == date, "\(s.debugDescription) does not read back as \(text)")
        }
    }

    /// No unsigned token is ever accepted; a signed one is accepted only with claims that sign to the same claims.
    private static func linkTokens(_ bytes: [UInt8], _ s: String) {
        check(Self.linkSigner.claims(from: Substring(s), now: Self.epoch) == nil, "forged token \(s.debugDescription) accepted")
        let signed = Self.linkSigner.token(payload: LinkSigner.base64URL(Data(bytes)))
        guard let claims = Self.linkSigner.claims(from: Substring(signed), now: Self.epoch) else { return }
        let again = Self.linkSigner.claims(from: Substring(Self.linkSigner.token(for: claims)), now: Self.epoch)
        check(again == claims, "claims \(claims) signed again read as \(String(describing: again))")
    }

    /// The header never carries a control character (no header splitting), and its `filename*` gives the name back.
    private static func contentDisposition(_ s: String) {
        let header = ContentDisposition.attachment(filename: s)
        check(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "header \(header.debugDescription) has a control or non-ASCII byte")
        let marker = "filename*=UTF-8''"
        guard let at = header.range(of: marker, options: .backwards) else { return check(false, "no filename* in \(header)") }
        let decoded = String(header[at.upperBound...]).removingPercentEncoding
        check(decoded == s, "filename* of \(s.debugDescription) decodes to \(String(describing: decoded))")
    }
}
