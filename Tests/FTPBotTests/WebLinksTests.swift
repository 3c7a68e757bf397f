import Balancer
import FileBot
import Foundation
import SeedTestSupport
import Testing

/// Share links and upload pages against curl, a client nobody here wrote.
@Suite(.tags(.interop), .inTestSet(.interop)) struct WebLinksTests {
    static let ana = Caller(id: "501", displayName: "ana", space: Space.guild("2000")!)
    static let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) })

    static func temporaryFile(_ name: String = "f") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)-\(name)").path
    }

    @Test func downloadsRangesHeadAndResume() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("report final.pdf", Self.data, by: Self.ana).get()
            let url = w.url(try await w.links.share("report final.pdf", for: Self.ana).get())
            #expect(url.hasSuffix("/report%20final.pdf"))

            // The whole file, byte for byte, with the headers a download needs.
            let out = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: out) }
            let full = try await w.curl("-D", "-", "-o", out, url)
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Self.data)
            let head = full.text.lowercased()
            for expected in ["http/1.1 200", "content-length: 3000000", "accept-ranges: bytes",
                             #"content-disposition: attachment; filename="report final.pdf"; filename*=utf-8''report%20final.pdf"#,
                             "etag: \"", "x-content-type-options: nosniff", "referrer-policy: no-referrer", "content-security-policy:"] {
                #expect(head.contains(expected), "missing \(expected) in \(full.text)")
            }
            let file = try #require(await w.h.cluster.knownFile("report final.pdf", in: Self.ana.space))
            #expect(full.text.contains("ETag: \"\(file.sha256 ?? "")\""))

            // HEAD: the same headers, no body.
            let headOnly = try await w.curl("-I", url)
            #expect(headOnly.text.contains("200 OK") && headOnly.text.contains("Content-Length: 3000000"), "\(headOnly.text)")

            // Single ranges: first byte, middle, suffix; past the end is 416.
            for (range, slice) in [("0-0", 0..<1), ("1000-1999", 1000..<2000), ("-500", 2_999_500..<3_000_000),
                                   ("2999990-", 2_999_990..<3_000_000)] {
                let r = try await w.curl("-D", "/dev/stderr", "-r", range, url)
                #expect(r.stdout == Self.data.subdata(in: slice), "range \(range)")
                #expect(r.stderr.contains("206 Partial Content"), "\(r.stderr)")
                #expect(r.stderr.contains("Content-Range: bytes \(slice.lowerBound)-\(slice.upperBound - 1)/3000000"), "\(r.stderr)")
            }
            let past = try await w.curl("-D", "-", "-o", "/dev/null", "-r", "3000000-", url)
            #expect(past.text.contains("416") && past.text.contains("Content-Range: bytes */3000000"), "\(past.text)")
            // A range whose If-Range names another version gets the whole file.
            #expect(try await w.status("-r", "0-9", "-H", "If-Range: \"other\"", url) == 200)

            // An interrupted download, continued with curl -C -: byte-identical.
            let partial = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: partial) }
            try Self.data.prefix(1_234_567).write(to: URL(fileURLWithPath: partial))
            let resumed = try await w.curl("-C", "-", "-o", partial, url)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == Self.data)
        }
    }

    /// A client that kept a download asks again with its validators: curl's `--etag-compare` (If-None-Match) and
    /// `-z` (If-Modified-Since) get 304 and no body while the file is the same, the whole file once it was
    /// replaced; If-Match naming another version is 412; the obsolete date forms count as the preferred one; If-Range
    /// gets the part only for the current version. (Before, every revalidation sent the whole file again.)
    @Test func anUnchangedFileIsNotSentAgain() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("kept.bin", Self.data, by: Self.ana).get()
            let url = w.url(try await w.links.share("kept.bin", for: Self.ana).get())
            let etags = Self.temporaryFile("etag"), out = Self.temporaryFile()
            defer { for f in [etags, out] { try? FileManager.default.removeItem(atPath: f) } }
            let first = try await w.curl("--etag-save", etags, "-o", out, url)
            let firstBody = try Data(contentsOf: URL(fileURLWithPath: out))
            #expect(first.status == 0 && firstBody == Self.data, "\(first.stderr)")
            let saved = try String(contentsOfFile: etags, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(saved.hasPrefix("\"") && saved.count == 66, "\(saved)")

            let again = try await w.curl("-D", "-", "-o", "/dev/null", "--etag-compare", etags, url)
            #expect(again.text.contains("HTTP/1.1 304 Not Modified") && again.text.contains("ETag: \(saved)"), "\(again.text)")
            #expect(!again.text.contains("Content-Disposition"), "\(again.text)")
            let lastModified = try #require(again.text.split(separator: "\r\n").first { $0.hasPrefix("Last-Modified: ") })
                .dropFirst("Last-Modified: ".count)
            #expect(try await w.status("-z", String(lastModified), url) == 304)
            #expect(try await w.status("-z", "Sat, 01 Jan 2000 00:00:00 GMT", url) == 200)
            #expect(try await w.status("-H", "If-None-Match: W/\(saved)", url) == 304, "weak comparison")
            #expect(try await w.status("-H", "If-Match: \"other\"", url) == 412)
            #expect(try await w.status("-H", "If-Match: \(saved)", "-r", "0-9", url) == 206)

            // The two obsolete date forms every recipient must read (RFC 9110, section 5.6.7), written by Foundation.
            let modified = try #require(HTTPDate.parse(String(lastModified), now: Date()))
            for form in ["EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM dd HH:mm:ss yyyy"] {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = form
                let text = formatter.string(from: modified)
                #expect(try await w.status("-H", "If-Modified-Since: \(text)", url) == 304, "\(text)")
                #expect(try await w.status("-H", "If-Unmodified-Since: \(text)", url) == 200, "\(text)")
            }
            // If-Range: the part only for the current version, the whole file otherwise (curl -r asks for a part).
            // A date is a strong validator once it is a second old, so wait for that second to pass.
            try await eventually("Last-Modified to be a second old") { Date().timeIntervalSince(modified) >= 1 }
            #expect(try await w.status("-H", "If-Range: \(saved)", "-r", "0-9", url) == 206)
            #expect(try await w.status("-H", "If-Range: \(lastModified)", "-r", "0-9", url) == 206)
            #expect(try await w.status("-H", "If-Range: W/\(saved)", "-r", "0-9", url) == 200, "weak tags never match")
            #expect(try await w.status("-H", "If-Range: \"other\"", "-r", "0-9", url) == 200)
            #expect(try await w.status("-H", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT", "-r", "0-9", url) == 200)

            // Replaced: the saved tag no longer matches, and the new file comes whole.
            let replacement = Data(repeating: 9, count: 1000)
            _ = try await w.h.bot.put("kept.bin", replacement, by: Self.ana, collision: .replace).get()
            let fresh = w.url(try await w.links.share("kept.bin", for: Self.ana).get())
            let changed = try await w.curl("--etag-compare", etags, "-o", out, fresh)
            let changedBody = try Data(contentsOf: URL(fileURLWithPath: out))
            #expect(changed.status == 0 && changedBody == replacement, "\(changed.stderr)")
        }
    }

    @Test func forgedExpiredRevokedAndDeletedLinksAreTheSame404() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("a.txt", Data("a".utf8), by: Self.ana).get()
            _ = try await w.h.bot.put("b.txt", Data("b".utf8), by: Self.ana).get()
            _ = try await w.h.bot.put("c.txt", Data("c".utf8), by: Self.ana).get()
            let good = w.url(try await w.links.share("a.txt", for: Self.ana).get())
            // Pages differ only in their CSP nonce.
            func masked(_ page: String) -> String { page.replacingOccurrences(of: #"nonce="[^"]*""#, with: "nonce", options: .regularExpression) }
            let notFoundPage = masked(try await w.curl(w.base + "/nothing/here").text)

            // The same claims with a signature changed in its last characters.
            var segments = good.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            let token = segments[segments.count - 2]
            segments[segments.count - 2] = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
            let forged = segments.joined(separator: "/")
            let expired = w.url(try await w.links.share("a.txt", hours: 1, for: Self.ana, now: Date().addingTimeInterval(-7200)).get())
            let revoked = w.url(try await w.links.share("b.txt", for: Self.ana).get())
            _ = try await w.links.unshare("b.txt", by: Self.ana).get()
            let deleted = w.url(try await w.links.share("c.txt", for: Self.ana).get())
            _ = try await w.h.bot.delete("c.txt", by: Self.ana).get()
            let replacedLink = w.url(try await w.links.share("a.txt", for: Self.ana).get())
            #expect(try await w.curl(replacedLink).stdout == Data("a".utf8))
            _ = try await w.h.bot.put("a.txt", Data("new a".utf8), by: Self.ana, collision: .replace).get()
            let upload = w.url(await w.links.uploadLink(for: Self.ana))
            let used = upload
            #expect(try await w.status("-T", "/dev/null", used + "/empty.txt") == 201)

            for (what, url) in [("forged", forged), ("expired", expired), ("revoked", revoked), ("deleted", deleted),
                                ("replaced", replacedLink), ("used upload", used), ("garbage", w.base + "/d/xyz/a.txt")] {
                let r = try await w.curl("-D", "/dev/stderr", url)
                #expect(r.stderr.contains("404 Not Found"), "\(what): \(r.stderr)")
                #expect(masked(r.text) == notFoundPage, "\(what) has another page")
            }
            // A new link to the new version works, and unshare's revocation did not touch a.txt.
            #expect(try await w.curl(w.url(try await w.links.share("b.txt", for: Self.ana).get())).stdout == Data("b".utf8))

            // Guessing is slowed down per address: after the burst of failures, 429 with Retry-After.
            var statuses: [Int] = []
            for _ in 0..<12 { statuses.append(try await w.status(w.base + "/d/guess/x")) }
            #expect(statuses.contains(429), "\(statuses)")
            let limited = try await w.curl("-D", "-", "-o", "/dev/null", good)
            #expect(limited.text.contains("429") && limited.text.contains("Retry-After:"), "\(limited.text)")
            let limitedPut = try await w.curl("-D", "/dev/stderr", "-T", "/dev/null", w.base + "/u/guess/x.txt")
            #expect(limitedPut.stderr.contains("429") && limitedPut.stderr.contains("Retry-After:"), "\(limitedPut.stderr)")
            #expect(limitedPut.text.hasPrefix(#"{"error":"Too many attempts; try again in "#), "\(limitedPut.text)")
        }
    }

    /// Only link-shaped requests can guess a token: a browser's /favicon.ico after every page, or a scanner's paths,
    /// get the 404 page without locking the address out of its links.
    @Test func pathsThatAreNoLinkDoNotCountAsGuesses() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("a.txt", Data("a".utf8), by: Self.ana).get()
            let good = w.url(try await w.links.share("a.txt", for: Self.ana).get())
            for path in Array(repeating: "/favicon.ico", count: 15) + ["/index.html", "/d/", "/u/", "/wp-login.php", "/admin/../d"] {
                #expect(try await w.status(w.base + path) == 404, "\(path)")
            }
            #expect(try await w.curl(good).stdout == Data("a".utf8))
            var statuses: [Int] = []
            for _ in 0..<12 { statuses.append(try await w.status(w.base + "/d/guess/x")) }
            #expect(statuses.contains(429), "\(statuses)")
            #expect(try await w.status(w.base + "/favicon.ico") == 429)
        }
    }

    /// A lifetime that is no number of hours (a library caller's NaN or infinity) is refused in one sentence, not
    /// signed into a link or trapped on.
    @Test func lifetimesThatAreNoNumberAreRefused() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("a.txt", Data("a".utf8), by: Self.ana).get()
            for hours in [Double.nan, .infinity, -.infinity] {
                guard case .failure(let refusal) = await w.links.share("a.txt", hours: hours, for: Self.ana) else {
                    Issue.record("a link for \(hours) hours was made")
                    continue
                }
                #expect(refusal.sentence() == "Give a link's lifetime as a number of hours, up to 168 hours.")
            }
            guard case .failure(let long) = await w.links.share("a.txt", hours: 1e300, for: Self.ana) else {
                Issue.record("a link for 1e300 hours was made")
                return
            }
            #expect(long.sentence() == "A link can live at most 168 hours; 1e+300 hours is too long.")
        }
    }

    /// The printed address opened on its own says what it is for; crawlers are told to index nothing, on every answer.
    @Test func theHomePageAndRobots() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("a.txt", Data("a".utf8), by: Self.ana).get()
            let good = w.url(try await w.links.share("a.txt", for: Self.ana).get())
            let home = try await w.curl("-D", "/dev/stderr", w.base + "/")
            #expect(home.stderr.contains("HTTP/1.1 200") && home.text.contains("serves the download links and upload pages"), "\(home.stderr)")
            #expect(home.stderr.contains("Content-Security-Policy: default-src 'none'"), "\(home.stderr)")
            let robots = try await w.curl(w.base + "/robots.txt")
            #expect(robots.text == "User-agent: *\nDisallow: /\n")
            for url in [w.base + "/", good, w.base + "/d/guess/x", w.base + "/robots.txt"] {
                let r = try await w.curl("-D", "/dev/stderr", "-o", "/dev/null", url)
                #expect(r.stderr.contains("X-Robots-Tag: noindex, nofollow, noarchive"), "\(url): \(r.stderr)")
            }
            let post = try await w.curl("-D", "/dev/stderr", "-o", "/dev/null", "-X", "POST", w.base + "/")
            #expect(post.stderr.contains("HTTP/1.1 405") && post.stderr.contains("Allow: GET, HEAD"), "\(post.stderr)")
            #expect(try await w.curl(good).stdout == Data("a".utf8))
        }
    }

    /// A method a link's shape does not take gets 405 with `Allow` (a page, or JSON for `PUT` and `Accept: JSON`),
    /// whatever the token: it is not looked at, and such requests do not count as guesses.
    @Test func otherMethodsGet405WithAllow() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("a.txt", Data("a".utf8), by: Self.ana).get()
            let good = w.url(try await w.links.share("a.txt", for: Self.ana).get())
            let upload = w.url(await w.links.uploadLink(for: Self.ana))
            for (arguments, allow) in [(["-X", "POST", good], "GET, HEAD"), (["-X", "DELETE", good], "GET, HEAD"),
                                       (["-X", "POST", w.base + "/d/guess/x"], "GET, HEAD"),
                                       (["-X", "DELETE", upload], "GET, HEAD, POST"), (["-X", "OPTIONS", upload], "GET, HEAD, POST"),
                                       ([upload + "/x.txt"], "PUT"), (["-X", "DELETE", upload + "/x.txt"], "PUT")] {
                let r = try await w.curl(["-D", "/dev/stderr"] + arguments)
                #expect(r.stderr.hasPrefix("HTTP/1.1 405"), "\(arguments): \(r.stderr)")
                #expect(r.stderr.contains("Allow: \(allow)\r\n"), "\(arguments): \(r.stderr)")
                #expect(r.text.contains("Not allowed") && r.text.contains("it takes \(allow)."), "\(r.text)")
            }
            let put = try await w.curl("-D", "/dev/stderr", "-T", "/dev/null", good)
            #expect(put.stderr.hasPrefix("HTTP/1.1 405") && put.stderr.contains("Allow: GET, HEAD"), "\(put.stderr)")
            #expect(put.text == #"{"error":"This address does not take that kind of request; it takes GET, HEAD."}"# + "\n")
            // HEAD on the upload page answers GET's headers, without the page.
            let head = try await w.curl("-I", upload)
            let page = try await w.curl(upload)
            #expect(head.text.hasPrefix("HTTP/1.1 200") && head.text.contains("Content-Length: \(page.stdout.count)\r\n"), "\(head.text)")
            #expect(head.text.contains("Content-Type: text/html; charset=utf-8"), "\(head.text)")
            // Twelve of them lock nothing out, and both links still work.
            for _ in 0..<12 { #expect(try await w.status("-X", "POST", w.base + "/d/guess/x") == 405) }
            #expect(try await w.curl(good).stdout == Data("a".utf8))
            #expect(try await w.status("-T", "/dev/null", upload + "/empty.txt") == 201)
        }
    }

    @Test func uploadsByPutAndFormAreOneTimeAndEscaped() async throws {
        try await WebHarness.with(settings: FileBotSettings(maxFileSize: 2_000_000)) { w in
            let file = Self.temporaryFile("report.pdf")
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Self.data.prefix(1_500_000).write(to: URL(fileURLWithPath: file))

            // PUT of a raw body: curl -T FILE URL/ names it after the file.
            let link = await w.links.uploadLink(for: Self.ana, channel: "3000")
            let put = try await w.curl("-w", "\n%{http_code}", "-T", file, w.url(link) + "/")
            #expect(put.text.hasSuffix("}\n\n201"), "\(put.text)")  // the answer ends its line in a terminal
            let answer = try JSONSerialization.jsonObject(with: Data(put.text.split(separator: "\n")[0].utf8)) as? [String: Any]
            let name = try #require(answer?["name"] as? String)
            #expect(name.hasSuffix("report.pdf") && answer?["size"] as? Int == 1_500_000)
            #expect(try await w.h.bot.get(name, by: Self.ana).get() == Self.data.prefix(1_500_000))
            #expect(w.notices.withLock { $0.last?.channel } == "3000")
            #expect(w.notices.withLock { $0.last?.user } == "501")
            // Once only; curl's used-up link answers in JSON like every other PUT answer, not with the HTML page.
            let again = try await w.curl("-w", "\n%{http_code} %{content_type}", "-T", file, w.url(link) + "/again.pdf")
            #expect(again.text.hasSuffix("404 application/json"), "\(again.text)")
            #expect(again.text.hasPrefix(#"{"error":"This link does not exist or is no longer valid."}"#), "\(again.text)")

            // A form post, as the page sends it; a name with markup is escaped on the result page.
            let hostile = "<img src=x onerror=alert(1)>.png"
            let form = await w.links.uploadLink(for: Self.ana)
            let posted = try await w.curl("-F", "size=1500000", "-F", "file=@\(file);filename=\(hostile)", w.url(form))
            #expect(posted.text.contains("&lt;img src=x onerror=alert(1)&gt;.png"), "\(posted.text)")
            #expect(!posted.text.contains("<img"), "\(posted.text)")
            #expect(try await w.h.bot.get(hostile, by: Self.ana).get().count == 1_500_000)
            // The same link as JSON is used up too.
            #expect(try await w.status("-H", "Accept: application/json", "-F", "file=@\(file)", w.url(form)) == 404)
            // Names as curl and browsers write them (the HTML form-data encoding): a Windows path keeps its last
            // component, a quote arrives as %22 and is read back as a quote (before: "C:fakepathwin.txt" and
            // "say %22hi%22.txt").
            for (sent, stored) in [(#"C:\fakepath\win.txt"#, "win.txt"), ("../../up.txt", "up.txt")] {
                let link = await w.links.uploadLink(for: Self.ana)
                #expect(try await w.status("-F", "file=@\(file);filename=\(sent)", w.url(link)) == 201, "\(sent)")
                #expect(try await w.h.bot.get(stored, by: Self.ana).get().count == 1_500_000, "\(sent)")
            }
            let quotedDirectory = Self.temporaryFile("quoted")
            try FileManager.default.createDirectory(atPath: quotedDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: quotedDirectory) }
            let quoted = quotedDirectory + #"/say "hi".pdf"#
            try Data(Self.data.prefix(10)).write(to: URL(fileURLWithPath: quoted))
            let quoteLink = await w.links.uploadLink(for: Self.ana)
            #expect(try await w.status("-F", "file=@\(quoted)", w.url(quoteLink)) == 201)
            #expect(try await w.h.bot.get(#"say "hi".pdf"#, by: Self.ana).get().count == 10)

            // Too large for the per-file limit: 413, nothing stored, and the link still works for a smaller file.
            let big = Self.temporaryFile("big.bin")
            defer { try? FileManager.default.removeItem(atPath: big) }
            try Self.data.write(to: URL(fileURLWithPath: big))
            let limited = await w.links.uploadLink(for: Self.ana)
            #expect(try await w.status("-T", big, w.url(limited) + "/big.bin") == 413)
            #expect(try await w.status("-H", "Accept: application/json", "-F", "file=@\(big)", w.url(limited)) == 413)
            #expect(await w.h.cluster.knownFile("big.bin", in: Self.ana.space) == nil)
            #expect(try await w.status("-T", file, w.url(limited) + "/small.pdf") == 201)
            #expect(w.h.temporaryFiles.isEmpty, "\(w.h.temporaryFiles)")

            // A form cut off before its closing boundary stores nothing.
            let cut = await w.links.uploadLink(for: Self.ana)
            let truncated = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\r\nhalf of it"
            let r = try await w.curl("-w", "%{http_code}", "-H", "Content-Type: multipart/form-data; boundary=XyZ",
                                     "-H", "Accept: application/json", "--data-binary", truncated, w.url(cut))
            #expect(!r.text.hasSuffix("201"), "\(r.text)")
            #expect(await w.h.cluster.knownFile("cut.bin", in: Self.ana.space) == nil)
            #expect(w.h.temporaryFiles.isEmpty, "\(w.h.temporaryFiles)")

            // A form whose size field announces other than its file holds: 400 saying which, nothing stored (an
            // understated size is not called over the per-file limit).
            for (announced, name, says) in [("2000000", "short.pdf", "ended after 1.4 MiB of the 1.9 MiB it announced"),
                                            ("1000", "long.pdf", "went on past the 1000 B it announced")] {
                let link = await w.links.uploadLink(for: Self.ana)
                let answer = try await w.curl("-w", "\n%{http_code}", "-H", "Accept: application/json", "-F", "size=\(announced)",
                                              "-F", "file=@\(file);filename=\(name)", w.url(link))
                #expect(answer.text.hasSuffix("\n400") && answer.text.contains(says), "\(answer.text)")
                #expect(await w.h.cluster.knownFile(name, in: Self.ana.space) == nil)
            }
            #expect(w.h.temporaryFiles.isEmpty, "\(w.h.temporaryFiles)")

            // The page itself: self-contained, with a nonce-bound script, and the link not used by viewing it.
            let pageLink = await w.links.uploadLink(for: Self.ana)
            let page = try await w.curl("-D", "/dev/stderr", w.url(pageLink))
            #expect(page.text.contains("<progress") && page.text.contains("<input type=\"file\""))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no external resource")
            #expect(page.stderr.contains("script-src 'nonce-"), "\(page.stderr)")
            #expect(try await w.status(w.url(pageLink)) == 200)
        }
    }

    /// `Expect: 100-continue` (RFC 9110 §10.1.1), which curl sends with every upload over 1 MiB: the body is asked
    /// for once the upload is accepted, and a refused one is answered before any of it is sent.
    @Test func announcedBodiesAreAskedForOnlyOnceTheUploadIsAccepted() async throws {
        try await WebHarness.with(settings: FileBotSettings(maxFileSize: 2_000_000)) { w in
            let file = Self.temporaryFile("expect.bin")
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Self.data.prefix(1_500_000).write(to: URL(fileURLWithPath: file))

            // curl: asked for, so it never falls back to sending unasked (its wait raised from one second to 60, so
            // a loaded machine cannot make the server look silent).
            let link = await w.links.uploadLink(for: Self.ana)
            let put = try await w.curl("-v", "--expect100-timeout", "60", "-w", "\n%{http_code}", "-T", file, w.url(link) + "/")
            #expect(put.text.hasSuffix("201"), "\(put.text)")
            #expect(put.stderr.contains("> Expect: 100-continue"), "\(put.stderr)")
            #expect(put.stderr.contains("< HTTP/1.1 100 Continue"), "\(put.stderr)")
            #expect(!put.stderr.contains("Done waiting for 100-continue"), "\(put.stderr)")
            let answer = try JSONSerialization.jsonObject(with: Data(put.text.split(separator: "\n")[0].utf8)) as? [String: Any]
            let name = try #require(answer?["name"] as? String)
            #expect(try await w.h.bot.get(name, by: Self.ana).get() == Self.data.prefix(1_500_000))

            // A client that waits as long as it takes (Python's socket): a refused upload gets its answer with no
            // body sent, and the connection is closed, since the body its length announced will never come; an
            // accepted one gets 100 Continue first.
            let accepted = await w.links.uploadLink(for: Self.ana)
            let tooLarge = await w.links.uploadLink(for: Self.ana)
            let old = await w.links.uploadLink(for: Self.ana)
            func path(_ link: SharedLink) -> String { String(w.url(link).dropFirst(w.base.count)) }
            let r = try await Command.run(["python3", "-c", """
                import socket, sys
                port = int(sys.argv[1])
                def connect(path, length):
                    s = socket.create_connection(("127.0.0.1", port), timeout=60)
                    s.sendall(("PUT %s HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: %d\\r\\nExpect: 100-continue\\r\\n\\r\\n" % (path, length)).encode())
                    return s
                def to_the_end(s):
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            return data.decode("latin-1")
                        data += chunk
                for path, length in ((sys.argv[2], 10000000), (sys.argv[3], 5000000)):
                    answer = to_the_end(connect(path, length))
                    print(answer.split(" ")[1], "closed", "connection: close" in answer.lower())
                s = connect(sys.argv[4], 1000)
                first = b""
                while b"\\r\\n\\r\\n" not in first:
                    first += s.recv(1)
                print(first.decode().split(" ")[1])
                s.sendall(b"x" * 1000)
                response = b""
                while b"\\r\\n\\r\\n" not in response:
                    response += s.recv(65536)
                print(response.decode("latin-1").split(" ")[1])
                # HTTP/1.0 knows no 1xx answers: the expectation is ignored, the body sent at once is read, and the
                # connection, not kept alive, ends with the answer.
                s = socket.create_connection(("127.0.0.1", port), timeout=60)
                s.sendall(("PUT %s HTTP/1.0\\r\\nContent-Length: 1000\\r\\nExpect: 100-continue\\r\\n\\r\\n" % sys.argv[5]).encode() + b"y" * 1000)
                print(to_the_end(s).split(" ")[1])
                """, String(w.port), "/u/forged/none.bin", path(tooLarge) + "/big.bin", path(accepted) + "/ok.bin",
                path(old) + "/old.bin"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.text == """
                404 closed True
                413 closed True
                100
                201
                201

                """, "\(r.text)")
            #expect(try await w.h.bot.get("old.bin", by: Self.ana).get() == Data(repeating: UInt8(ascii: "y"), count: 1000))
            #expect(try await w.h.bot.get("ok.bin", by: Self.ana).get() == Data(repeating: UInt8(ascii: "x"), count: 1000))
            #expect(await w.h.cluster.knownFile("big.bin", in: Self.ana.space) == nil)
            // The refused link still works.
            #expect(try await w.status("-T", file, w.url(tooLarge) + "/small.bin") == 201)
        }
    }

    @Test func aCorruptedFileIsNeverServedWhole() async throws {
        try await WebHarness.with { w in
            _ = try await w.h.bot.put("bad.bin", Self.data, by: Self.ana).get()
            // Every replica altered on disk behind the cluster's back, same length.
            var altered = Self.data
            altered[2_500_000] ^= 0xFF
            for node in w.h.nodes where node.holds("bad.bin") {
                try altered.write(to: URL(fileURLWithPath: "\(node.root)/guild-2000/bad.bin"))
            }
            let url = w.url(try await w.links.share("bad.bin", for: Self.ana).get())
            let r = try await w.curl(url)
            #expect(r.status != 0, "curl took a corrupted file as complete")
            #expect(r.stdout.count < Self.data.count)
            #expect(r.stdout != altered)
        }
    }

    @Test func aLinkCompletesWhenItsNodeDiesMidStream() async throws {
        try await WebHarness.with(slowNodes: true) { w in
            let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 11) })
            _ = try await w.h.bot.put("slow.bin", data, by: Self.ana).get()
            let url = w.url(try await w.links.share("slow.bin", for: Self.ana).get())
            let out = Self.temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: out) }
            let download = Task { try await w.curl("-o", out, url) }
            try await eventually("a node serving the link") { w.h.nodes.contains { $0.traffic.readers.withLock { $0 } > 0 } }
            let dying = try #require(w.h.nodes.first { $0.traffic.readers.withLock { $0 } > 0 })
            // Let some bytes through first, then kill the node serving them.
            try await eventually("the first bytes") {
                (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0 >= 300_000
            }
            await dying.kill()
            let r = try await download.value
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == data)
        }
    }

    /// A client that hangs up mid-download stops the node's transfer: nothing keeps reading a file no one receives.
    /// Connections that stop taking part are closed after the idle timeout (1 s here): one that never sends a
    /// request, one that stops in the middle of its headers, and a download's reader that stays connected but
    /// stops reading; the download then stops reading the node too, well short of the file. Each client waits for
    /// the server's close by watching its socket's TCP state, up to a minute.
    @Test func connectionsThatStopTakingPartAreClosed() async throws {
        try await WebHarness.with(slowNodes: true, idleTimeout: .seconds(1)) { w in
            let size = 24_000_000
            let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 29) })
            _ = try await w.h.bot.put("stalled.bin", data, by: Self.ana).get()
            let url = w.url(try await w.links.share("stalled.bin", for: Self.ana).get())
            let script = """
                import socket, sys, time
                host, rest = sys.argv[2][len("http://"):].split("/", 1)
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                s.settimeout(60)
                s.connect((host.split(":")[0], int(host.split(":")[1])))
                mode = sys.argv[1]
                if mode == "partial":
                    s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n")
                elif mode == "reader":
                    s.sendall(("GET /%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % rest).encode())
                    got = 0
                    while got < 200000:
                        got += len(s.recv(65536))
                deadline = time.time() + 60
                while time.time() < deadline:   # the first byte of TCP_INFO is the connection's state
                    if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] in (7, 8):   # CLOSE, CLOSE_WAIT
                        print("closed")
                        sys.exit(0)
                    time.sleep(0.05)
                print("still open")
                """
            async let silent = Command.run(["python3", "-c", script, "silent", url])
            async let partial = Command.run(["python3", "-c", script, "partial", url])
            async let reader = Command.run(["python3", "-c", script, "reader", url])
            let (a, b, c) = try await (silent, partial, reader)
            #expect(a.text == "closed\n", "a connection that sends nothing: \(a.text) \(a.stderr)")
            #expect(b.text == "closed\n", "a connection that stops mid-headers: \(b.text) \(b.stderr)")
            #expect(c.text == "closed\n", "a reader that stops reading: \(c.text) \(c.stderr)")
            try await eventually("the node to stop reading the file", timeout: .seconds(30)) {
                w.h.nodes.allSatisfy { $0.traffic.readers.withLock { $0 } == 0 }
            }
            let read = w.h.nodes.map { $0.traffic.bytesRead.withLock { $0 } }.reduce(0, +)
            #expect(read < size / 2, "\(read) bytes read")
        }
    }

    /// An upload whose connection ends inside its body (a PUT announcing 1000 bytes that sends 10, a form post cut
    /// inside its file) is answered 400 in one sentence, stores nothing, and blames no node: before, the HTTP
    /// parser's error came back as 503 "something unexpected went wrong", with a warning that each node's replica
    /// had failed.
    @Test func anUploadWhoseSenderStopsIsRefusedPlainly() async throws {
        try await WebHarness.with { w in
            let raw = w.url(await w.links.uploadLink(for: Self.ana))
            let form = w.url(await w.links.uploadLink(for: Self.ana))
            let r = try await Command.run(["python3", "-c", """
                import socket, sys
                def cut(url, head, body):
                    host, rest = url[len("http://"):].split("/", 1)
                    s = socket.create_connection((host.split(":")[0], int(host.split(":")[1])), timeout=60)
                    s.sendall(head.replace("PATH", "/" + rest).encode() + body)
                    s.shutdown(socket.SHUT_WR)
                    answer = b""
                    while True:
                        piece = s.recv(65536)
                        if not piece:
                            break
                        answer += piece
                    s.close()
                    status = answer.split(b"\\r\\n", 1)[0].decode()
                    print(status + " | " + answer.split(b"\\r\\n\\r\\n", 1)[1].decode(errors="replace"))
                cut(sys.argv[1], "PUT PATH/short.bin HTTP/1.1\\r\\nHost: x\\r\\nAccept: application/json\\r\\nContent-Length: 1000\\r\\n\\r\\n", b"0123456789")
                part = b"--XyZ\\r\\nContent-Disposition: form-data; name=\\"file\\"; filename=\\"cut.bin\\"\\r\\n\\r\\n" + b"a" * 20
                cut(sys.argv[2], "POST PATH HTTP/1.1\\r\\nHost: x\\r\\nAccept: application/json\\r\\nContent-Type: multipart/form-data; boundary=XyZ\\r\\nContent-Length: 5000\\r\\n\\r\\n", part)
                """, raw, form])
            let answers = r.text.split(separator: "\n").map(String.init)
            #expect(answers.count == 2, "\(r.text) \(r.stderr)")
            #expect(answers.first?.hasPrefix("HTTP/1.1 400") == true, "\(answers)")
            #expect(answers.first?.contains("'short.bin' stopped arriving after 10 B, so nothing was stored") == true, "\(answers)")
            #expect(answers.last?.hasPrefix("HTTP/1.1 400") == true, "\(answers)")
            #expect(answers.last?.contains("'cut.bin' stopped arriving after 20 B") == true, "\(answers)")
            let listed = try await w.h.bot.list(pageSize: .max, for: Self.ana).get()
            #expect(listed.rows.isEmpty, "\(listed.rows.map(\.name))")
            #expect(w.h.temporaryFiles.isEmpty, "\(w.h.temporaryFiles)")
            for node in w.h.cluster.nodes {
                let lastError = await node.lastError
                #expect(lastError == nil, "\(node.name): \(lastError ?? "")")
            }
        }
    }

    @Test func aClientThatHangsUpStopsTheNodesTransfer() async throws {
        try await WebHarness.with(slowNodes: true) { w in
            let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
            _ = try await w.h.bot.put("left.bin", data, by: Self.ana).get()
            let url = w.url(try await w.links.share("left.bin", for: Self.ana).get())
            // The client hangs up after the first 200 KB of a file that trickles out of the node at about 1 MB/s.
            let r = try await Command.run(["python3", "-c", """
                import socket, sys
                host, rest = sys.argv[1][len("http://"):].split("/", 1)
                s = socket.create_connection((host.split(":")[0], int(host.split(":")[1])), timeout=60)
                s.sendall(("GET /%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" % rest).encode())
                got = 0
                while got < 200000:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
                s.close()
                print(got >= 200000)
                """, url])
            #expect(r.text == "True\n", "\(r.stderr)")
            try await eventually("the node to stop reading the file", timeout: .seconds(30)) {
                w.h.nodes.allSatisfy { $0.traffic.readers.withLock { $0 } == 0 }
            }
            let read = w.h.nodes.map { $0.traffic.bytesRead.withLock { $0 } }.reduce(0, +)
            // Read ahead by at most the socket buffers and a few chunks, never the whole 3 MB.
            #expect(read < 2_500_000, "\(read) bytes read")
        }
    }
}
