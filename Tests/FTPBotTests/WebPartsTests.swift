import FileBot
import Foundation
import NIOCore
import Testing
import SeedTestSupport

/// The web front end's pure parts, without a server.
@Suite(.tags(.unit), .inTestSet(.unit)) struct WebPartsTests {
    /// The moment the obsolete date form's two-digit years are placed against: 2026-12-07 12:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_796_644_800)

    @Test func typedLifetimes() {
        #expect(ShareLinks.typedHours("2") == 2 && ShareLinks.typedHours("1.5") == 1.5 && ShareLinks.typedHours("0") == 0)
        #expect(ShareLinks.typedHours("99999999999999999999") == 1e20)
        for word in ["", ".", "1.2.3", "inf", "nan", "Infinity", "1e9", "0x10", "-1", "+1", " 1", "١"] {
            #expect(ShareLinks.typedHours(word) == nil, "\(word)")
        }
    }

    @Test func aDefaultLinkLifetimeNeverLiftsTheMaximum() {
        let capped = LinkSettings(publicURL: "http://x/", linkLifetime: .seconds(48 * 3600), maxLinkLifetime: .seconds(24 * 3600))
        #expect(capped.linkLifetime == .seconds(24 * 3600) && capped.maxLinkLifetime == .seconds(24 * 3600))
        #expect(capped.publicURL == "http://x")
        let plain = LinkSettings(publicURL: "http://x")
        #expect(plain.linkLifetime == .seconds(24 * 3600) && plain.maxLinkLifetime == .seconds(7 * 24 * 3600))
    }

    @Test func byteRanges() {
        #expect(ByteRange.parse(nil, size: 100) == .whole)
        #expect(ByteRange.parse("bytes=0-0", size: 100) == .partial(start: 0, end: 0))
        #expect(ByteRange.parse("bytes=10-", size: 100) == .partial(start: 10, end: 99))
        #expect(ByteRange.parse("bytes=-30", size: 100) == .partial(start: 70, end: 99))
        #expect(ByteRange.parse("bytes=-300", size: 100) == .partial(start: 0, end: 99))
        #expect(ByteRange.parse("bytes=90-500", size: 100) == .partial(start: 90, end: 99))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-", size: 0) == .unsatisfiable)
        // Not understood, or several ranges: the whole file is a valid answer.
        for header in ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=-", "bytes=99999999999999999999-"] {
            #expect(ByteRange.parse(header, size: 100) == .whole, "\(header)")
        }
    }

    /// RFC 9110's order and comparisons: If-Match (strong) before If-Unmodified-Since, If-None-Match (weak)
    /// before If-Modified-Since; tag lists with `*`, weak tags and commas inside quotes; bad dates ignored.
    @Test func conditionalRequests() {
        let tag = "\"abc\"", modified = Date(timeIntervalSince1970: 1_000_000_000.5)
        let at = "Sun, 09 Sep 2001 01:46:40 GMT", before = "Sun, 09 Sep 2001 01:46:39 GMT"
        func check(match: String? = nil, none: String? = nil, since: String? = nil, unmodified: String? = nil) -> ConditionalRequest {
            ConditionalRequest.evaluate(ifMatch: match, ifNoneMatch: none, ifModifiedSince: since,
                                        ifUnmodifiedSince: unmodified, etag: tag, lastModified: modified, now: Self.now)
        }
        #expect(check() == .proceed)
        #expect(check(none: tag) == .notModified)
        #expect(check(none: "W/\"abc\"") == .notModified)
        #expect(check(none: "\"x,y\", \"abc\"") == .notModified)
        #expect(check(none: "*") == .notModified)
        #expect(check(none: "\"abcd\"") == .proceed)
        #expect(check(none: "abc") == .proceed, "an unquoted tag is no tag")
        #expect(check(since: at) == .notModified, "whole seconds: the fraction does not make it newer")
        #expect(check(since: before) == .proceed)
        #expect(check(since: "yesterday") == .proceed)
        #expect(check(none: "\"other\"", since: at) == .proceed, "If-None-Match decides when present")
        #expect(check(match: tag) == .proceed)
        #expect(check(match: "W/\"abc\"") == .preconditionFailed, "strong comparison")
        #expect(check(match: "*") == .proceed)
        #expect(check(match: "\"other\"", none: tag) == .preconditionFailed)
        #expect(check(unmodified: before) == .preconditionFailed)
        #expect(check(unmodified: at) == .proceed)
        #expect(check(unmodified: "garbage") == .proceed)
        // The obsolete forms count as much as the preferred one.
        #expect(check(since: "Sunday, 09-Sep-01 01:46:40 GMT") == .notModified)
        #expect(check(since: "Sun Sep  9 01:46:39 2001") == .proceed)
        #expect(check(unmodified: "Sunday, 09-Sep-01 01:46:39 GMT") == .preconditionFailed)
    }

    /// If-Range (RFC 9110, section 13.1.5): the range is served only to a client whose copy is the current one, named
    /// by a strong tag or by the exact Last-Modified date while that is at least a second old; otherwise the whole.
    @Test func ifRangeServesThePartOnlyForTheCurrentVersion() {
        let tag = "\"abc\"", modified = Date(timeIntervalSince1970: 1_000_000_000.5)
        let later = Date(timeIntervalSince1970: 1_000_000_001)
        func applies(_ ifRange: String?, lastModified: Date? = modified, now: Date = later) -> Bool {
            ConditionalRequest.rangeApplies(ifRange: ifRange, etag: tag, lastModified: lastModified, now: now)
        }
        #expect(applies(nil))
        #expect(applies(tag))
        #expect(applies(" \(tag) "))
        #expect(!applies("W/\(tag)"), "a weak tag never matches")
        #expect(!applies("\"abcd\""))
        #expect(!applies("\"abc\", \"def\""), "one validator, not a list")
        #expect(applies("Sun, 09 Sep 2001 01:46:40 GMT"))
        #expect(applies("Sunday, 09-Sep-01 01:46:40 GMT"))
        #expect(applies("Sun Sep  9 01:46:40 2001"))
        #expect(!applies("Sun, 09 Sep 2001 01:46:39 GMT"), "an older date")
        #expect(!applies("Sun, 09 Sep 2001 01:46:41 GMT"), "a newer date is not the version either")
        #expect(!applies("Sun, 09 Sep 2001 01:46:40 GMT", now: modified), "changed within the last second: weak")
        #expect(!applies("Sun, 09 Sep 2001 01:46:40 GMT", lastModified: nil))
        #expect(!applies("yesterday"))
        #expect(!applies(""))
    }

    /// IMF-fixdate both ways, by hand: the same text as Foundation's formatter for dates across four centuries,
    /// read back to the second; the two obsolete forms read too; impossible dates, near misses and stray bytes
    /// refused.
    @Test func httpDates() {
        let reference = DateFormatter()
        reference.locale = Locale(identifier: "en_US_POSIX")
        reference.timeZone = TimeZone(identifier: "GMT")
        reference.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var rng = SystemRandomNumberGenerator()
        let samples = [0, -1, 951_782_400, 1_000_000_000.5, 4_107_542_399, -2_208_988_800]
            + (0..<500).map { _ in TimeInterval(Int64.random(in: -5_000_000_000...10_000_000_000, using: &rng)) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let text = HTTPDate.format(date)
            #expect(text == reference.string(from: date), "\(seconds)")
            #expect(HTTPDate.parse(text, now: Self.now) == Date(timeIntervalSince1970: seconds.rounded(.down)), "\(text)")
        }
        func parse(_ text: String) -> TimeInterval? { HTTPDate.parse(text, now: Self.now)?.timeIntervalSince1970 }
        #expect(parse("  Sun, 06 Nov 1994 08:49:37 GMT ") == 784_111_777)
        #expect(parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951_782_400)
        #expect(parse("Wed, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800, "a leap second runs on")
        #expect(parse("Fri, 31 Dec 9999 23:59:60 GMT") == 253_402_300_799, "the last second that can be written back")
        // Every recipient must read the two obsolete forms too (RFC 9110, section 5.6.7).
        #expect(parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(parse("Sun Nov 06 08:49:37 1994") == 784_111_777)
        #expect(parse("Saturday, 29-Feb-00 00:00:00 GMT") == 951_782_400)
        // RFC 850's two-digit year: no more than 50 years after now (2026-12-07 12:00:00), else a century earlier.
        #expect(parse("Monday, 07-Dec-76 12:00:00 GMT") == 3_374_568_000, "exactly 50 years on: 2076")
        #expect(parse("Tuesday, 07-Dec-76 12:00:01 GMT") == 218_808_001, "a second more: 1976")
        #expect(parse("Thursday, 01-Jan-99 00:00:00 GMT") == 915_148_800, "1999, not 2099")
        #expect(parse("Thursday, 01-Jan-26 00:00:00 GMT") == 1_767_225_600)
        for bad in ["Thu, 29 Feb 2001 00:00:00 GMT", "Mon, 31 Apr 2024 00:00:00 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
                    "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
                    "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
                    "Sun, 06 Nov 1994 08:49:3x GMT", "Sun, 06 Nov 1994 08:49:37 GMT\r\n", "", "yesterday",
                    "Sun, 06 Nov +994 08:49:37 GMT",
                    // The obsolete forms, not quite.
                    "Sun, 06-Nov-94 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sunday, 06 Nov 94 08:49:37 GMT",
                    "sunday, 06-Nov-94 08:49:37 GMT", "Sunday, 31-Nov-94 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 UTC",
                    "Sundays, 06-Nov-94 08:49:37 GMT", ", 06-Nov-94 08:49:37 GMT", "Sunday,06-Nov-94 08:49:37 GMT",
                    "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Sun Nov  6 08:49:37 1994 GMT",
                    "Sunday Nov  6 08:49:37 1994", "Sun Nov 31 08:49:37 1994", "Sun Nov  0 08:49:37 1994",
                    "Sun Nov x6 08:49:37 1994", "Sun, Nov  6 08:49:37 1994"] {
            #expect(parse(bad) == nil, "\(bad.debugDescription)")
        }
        #expect(HTTPDate.format(Date(timeIntervalSince1970: .infinity)) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: -.infinity)) == "Sat, 01 Jan 0000 00:00:00 GMT")
        // Whatever is read is written back as the same date, the ends of the calendar included.
        for text in ["Sat, 01 Jan 0000 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:60 GMT", "Sun Nov  6 08:49:37 0000"] {
            let date = HTTPDate.parse(text, now: Self.now)
            #expect(date != nil && date.flatMap { HTTPDate.parse(HTTPDate.format($0), now: Self.now) } == date, "\(text)")
        }
    }

    @Test func connectionsCloseOnlyWhenAnAnnouncedBodyWasRefusedUnsent() {
        /// Whether the answer to a request that went through `steps` says close, and closes.
        func closes(expectsContinue: Bool = true, hasBody: Bool = true, _ steps: (inout ExpectContinueState) -> Void = { _ in }) -> [Bool] {
            var state = ExpectContinueState()
            state.requestHead(expectsContinue: expectsContinue, hasBody: hasBody)
            steps(&state)
            let head = state.finalResponseHead()
            return [head, state.finalResponseEnd()]
        }
        // Refused before asking: close.
        #expect(closes() == [true, true])
        // Asked for, then answered: the body came, the connection stays.
        let asked = closes { state in
            let requested = state.continueRequested()
            #expect(requested)
        }
        #expect(asked == [false, false])
        // The client gave up waiting and sent the body anyway: the server reads it to the end as usual.
        let sentAnyway = closes { $0.requestBodyArrived() }
        #expect(sentAnyway == [false, false])
        // No expectation, or nothing to send.
        #expect(closes(expectsContinue: false) == [false, false])
        #expect(closes(hasBody: false) == [false, false])
        // One connection, several requests: a refused one after a kept one still closes, and the reverse.
        var state = ExpectContinueState()
        state.requestHead(expectsContinue: true, hasBody: true)
        _ = state.continueRequested()
        _ = state.finalResponseHead()
        _ = state.finalResponseEnd()
        state.requestHead(expectsContinue: true, hasBody: true)
        let second = [state.finalResponseHead(), state.finalResponseEnd()]
        #expect(second == [true, true])
        state.requestHead(expectsContinue: false, hasBody: true)
        let third = [state.finalResponseHead(), state.finalResponseEnd()]
        #expect(third == [false, false])
    }

    @Test func aContinueGoesOutOnlyWhileTheExpectationStands() {
        func sent(expectsContinue: Bool = true, http11: Bool = true, hasBody: Bool = true,
                  _ steps: (inout ExpectContinueState) -> Void = { _ in }) -> Bool {
            var state = ExpectContinueState()
            state.requestHead(expectsContinue: expectsContinue, http11: http11, hasBody: hasBody)
            steps(&state)
            return state.continueRequested()
        }
        #expect(sent())
        #expect(!sent(expectsContinue: false))
        // HTTP/1.0 knows no 1xx answers; the expectation is ignored and the body read as it comes.
        #expect(!sent(http11: false))
        #expect(!sent(hasBody: false))
        let twice = sent { _ = $0.continueRequested() }
        #expect(!twice, "only once")
        let late = sent { $0.requestBodyArrived() }
        #expect(!late, "the body is already coming")
        var old = ExpectContinueState()
        old.requestHead(expectsContinue: true, http11: false, hasBody: true)
        let closes = old.finalResponseHead()
        #expect(!closes, "an HTTP/1.0 body is sent anyway, and read to its end")
    }

    @Test func aConnectionThatWasNotKeptAliveEndsWithItsResponse() {
        var state = ExpectContinueState()
        state.requestHead(expectsContinue: false, http11: false, hasBody: true, keepAlive: false)
        let closed = [state.finalResponseHead(), state.finalResponseEnd()]
        #expect(closed == [true, true])
        state.requestHead(expectsContinue: false, http11: false, hasBody: true, keepAlive: true)
        let kept = [state.finalResponseHead(), state.finalResponseEnd()]
        #expect(kept == [false, false])
    }

    /// A path's shape decides the methods it takes, whatever its token; `//` is read as `/`, as the router does.
    @Test func routeShapesAndTheirMethods() {
        func allowed(_ path: String) -> String? { WebRoutes.allowedMethods(path: Substring(path)).map(WebRoutes.allowField) }
        #expect(allowed("/d/tok/a%20b.txt") == "GET, HEAD")
        #expect(allowed("/d/tok") == "GET, HEAD")
        #expect(allowed("/d//tok/") == "GET, HEAD")
        #expect(allowed("/u/tok") == "GET, HEAD, POST")
        #expect(allowed("/u/tok/name.txt") == "PUT")
        #expect(allowed("/") == "GET, HEAD")
        #expect(allowed("/robots.txt") == "GET, HEAD")
        for path in ["/d", "/d/", "/u/", "/d/t/n/extra", "/x/tok", "/favicon.ico", "/D/tok", "/robots.txt/x"] {
            #expect(allowed(path) == nil, "\(path)")
        }
    }

    @Test func contentDisposition() {
        #expect(ContentDisposition.attachment(filename: "a b.pdf") == #"attachment; filename="a b.pdf"; filename*=UTF-8''a%20b.pdf"#)
        #expect(ContentDisposition.attachment(filename: "relatório \"final\".pdf")
            == #"attachment; filename="relat_rio _final_.pdf"; filename*=UTF-8''relat%C3%B3rio%20%22final%22.pdf"#)
        #expect(!ContentDisposition.attachment(filename: "x\r\nSet-Cookie: a=b").contains("\r"))
    }

    @Test func linkTokensAreSignedAndExpire() throws {
        let signer = LinkSigner(key: Array(repeating: 7, count: 32))
        let now = Date()
        let claims = LinkClaims(purpose: .download, space: "guild-1", name: "a.txt", version: "v1", expires: now.addingTimeInterval(60))
        let token = signer.token(for: claims)
        #expect(signer.claims(from: Substring(token), now: now) == claims)
        #expect(signer.claims(from: Substring(token), now: now.addingTimeInterval(61)) == nil, "expired")
        #expect(LinkSigner(key: Array(repeating: 8, count: 32)).claims(from: Substring(token), now: now) == nil, "another key")
        // Any change to the claims or the tag breaks it.
        let parts = token.split(separator: ".")
        var altered = claims
        altered.name = "b.txt"
        let otherPayload = LinkSigner(key: Array(repeating: 7, count: 32)).token(for: altered).split(separator: ".")[0]
        #expect(signer.claims(from: Substring(otherPayload + "." + parts[1]), now: now) == nil)
        for bad in ["", ".", "a.b", token + "x", String(token.dropLast()), token.replacingOccurrences(of: ".", with: ".."),
                    "!!!." + parts[1]] {
            #expect(signer.claims(from: Substring(bad), now: now) == nil, "\(bad)")
        }
    }

    @Test func attemptsAreLimitedPerAddress() {
        var limiter = AttemptLimiter(burst: 3, refillPerSecond: 1)
        let t0 = ContinuousClock.now
        for _ in 0..<3 { limiter.recordFailure("a", now: t0) }
        #expect(!limiter.allows("a", now: t0))
        #expect(limiter.retryAfter("a", now: t0) == 1)
        #expect(limiter.allows("b", now: t0), "another address is not affected")
        #expect(limiter.allows("a", now: t0 + .seconds(1)))
    }

    static let body = """
        preamble to ignore\r
        --XyZ\r
        Content-Disposition: form-data; name="size"\r
        \r
        12\r
        --XyZ\r
        Content-Disposition: form-data; name="file"; filename="we\\"ird name.txt"\r
        Content-Type: text/plain\r
        \r
        hello\r
        -XyZ is not the end\r
        --Xy\r
        --XyZ--\r
        epilogue
        """

    /// Every way of cutting the body into two or three chunks gives the same events.
    @Test func multipartUnderEveryChunking() throws {
        let bytes = Array(Self.body.utf8)
        func run(_ cuts: [Int]) throws -> (fields: [String: String], file: String, name: String?) {
            var parser = MultipartParser(boundary: "XyZ")
            var events: [MultipartParser.Event] = []
            var last = 0
            for cut in cuts + [bytes.count] {
                events += try parser.feed(ByteBuffer(bytes: bytes[last..<cut]))
                last = cut
            }
            try parser.finish()
            var fields: [String: String] = [:], current: String?, filename: String?, data = ""
            for e in events {
                switch e {
                case .part(let headers):
                    let (n, f) = MultipartParser.disposition(headers["content-disposition"] ?? "")
                    current = n
                    if f != nil { filename = f }
                case .data(let b): if current == "file" { data += String(buffer: b) } else { fields[current ?? "", default: ""] += String(buffer: b) }
                case .partEnd: current = nil
                }
            }
            return (fields, data, filename)
        }
        let expectedFile = "hello\r\n-XyZ is not the end\r\n--Xy"
        for a in 0...bytes.count {
            let r = try run([a])
            #expect(r.file == expectedFile && r.fields["size"] == "12" && r.name == "we\"ird name.txt", "cut at \(a)")
        }
        for a in stride(from: 0, through: bytes.count, by: 7) {
            for b in stride(from: a, through: bytes.count, by: 5) {
                #expect(try run([a, b]).file == expectedFile, "cuts at \(a), \(b)")
            }
        }
    }

    @Test func malformedMultipartIsAnError() {
        var cut = MultipartParser(boundary: "XyZ")
        #expect(throws: MultipartParser.Failure.self) {
            _ = try cut.feed(ByteBuffer(string: "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nhalf"))
            try cut.finish()
        }
        var garbage = MultipartParser(boundary: "XyZ")
        #expect(throws: MultipartParser.Failure.self) { _ = try garbage.feed(ByteBuffer(string: "--XyZ!!")) }
        var headerless = MultipartParser(boundary: "XyZ")
        #expect(throws: MultipartParser.Failure.self) { _ = try headerless.feed(ByteBuffer(string: "--XyZ\r\nno colon here\r\n\r\n")) }
        var endless = MultipartParser(boundary: "XyZ")
        #expect(throws: MultipartParser.Failure.self) {
            _ = try endless.feed(ByteBuffer(string: "--XyZ\r\n" + String(repeating: "x", count: 20_000)))
        }
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartParser.boundary(contentType: "text/plain; boundary=x") == nil)
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        let (name, filename) = MultipartParser.disposition("form-data; name=\"file\"; filename=\"a.txt\"; filename*=UTF-8''%C3%A9.txt")
        #expect(name == "file" && filename == "é.txt")
        // Browsers and curl: backslashes as they are, a quote as %22 (or, from older clients, \"), line breaks as
        // %0D%0A; only the last path component is the name.
        let cases: [(String, String?)] = [
            (#"form-data; name="file"; filename="C:\fakepath\report.pdf""#, "report.pdf"),
            (#"form-data; name="file"; filename="say %22hi%22.txt""#, #"say "hi".txt"#),
            (#"form-data; name="file"; filename="say \"hi\".txt""#, #"say "hi".txt"#),
            (#"form-data; name="file"; filename="a%0Ab%0d.txt""#, "a\nb\r.txt"),
            (#"form-data; name="file"; filename="100%41%.txt""#, "100%41%.txt"),
            (#"form-data; name="file"; filename="../../etc/passwd""#, "passwd"),
            (#"form-data; name="file"; filename="dir/""#, "dir"),
            (#"form-data; name="file"; filename="/\/""#, ""),
            ("form-data; name=\"file\"; filename=\"a/\u{301}b\"", "\u{301}b"),
            (#"form-data; name="file"; filename="""#, ""),
            (#"form-data; name="file"; filename*=UTF-8''a%2Fb%5Cc.txt"#, "c.txt"),
            (#"form-data; name="file"; filename="trailing\""#, "trailing"),
        ]
        for (header, expected) in cases {
            #expect(MultipartParser.disposition(header).filename == expected, "\(header)")
        }
    }
}
