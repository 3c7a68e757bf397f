import DiscordKit
import Testing
import SeedTestSupport

@Suite(.tags(.unit), .inTestSet(.unit)) struct RateLimitBookTests {
    let t0 = ContinuousClock.now

    @Test func routesKeepTheMajorParameterAndHideOtherIDs() {
        let a = Route(.POST, "/channels/111/messages")
        let b = Route(.POST, "/channels/222/messages")
        #expect(a.shape == b.shape)
        #expect(a.majorParameter == "111")
        #expect(Route(.PATCH, "/channels/1/messages/999").shape == "PATCH /channels/{channels}/messages/{id}")
        // Paths without a part before the query, or none at all, are routes too (a subscript trapped on them).
        #expect(Route(.GET, "").shape == Route(.GET, "?a=b").shape)
        #expect(Route(.POST, "/interactions/5/secret-token/callback").shape == "POST /interactions/{interaction}/{token}/callback")
        #expect(Route(.POST, "/interactions/5/secret-token/callback").majorParameter == "5")
        #expect(Route(.POST, "/interactions/5/tok/callback").exemptFromGlobalLimit)
        #expect(Route(.PATCH, "/webhooks/9/tok/messages/@original").majorParameter == "9/tok")
        #expect(!Route(.GET, "/users/@me").exemptFromGlobalLimit)
    }

    /// Waits come from the network, and `Duration.seconds(_:)` traps on NaN, infinity and numbers past Int128: such
    /// answers pause a second (or a day at most), never crash the client.
    @Test func waitsThatAreNoNumberOrTooLongAreBounded() {
        for (retryAfter, wait) in [(Double.infinity, Duration.seconds(1)), (.nan, .seconds(1)), (-3, .seconds(1)),
                                   (1e300, .seconds(86_400)), (2.5, .milliseconds(2500))] {
            var book = RateLimitBook()
            let route = Route(.POST, "/channels/1/messages")
            _ = book.reserve(route, now: t0)
            book.record(route, status: 429, headers: .init(bucket: "b", limit: 5, remaining: 0, resetAfter: .nan, retryAfter: retryAfter), now: t0)
            #expect(book.reserve(route, now: t0) == .wait(until: t0 + wait), "retry_after \(retryAfter)")
        }
        var book = RateLimitBook()
        let route = Route(.POST, "/channels/2/messages")
        _ = book.reserve(route, now: t0)
        book.record(route, status: 200, headers: .init(bucket: "c", limit: 1, remaining: 0, resetAfter: .infinity), now: t0)
        #expect(book.reserve(route, now: t0) == .wait(until: t0 + .seconds(1)))
    }

    @Test func anUnknownBucketLetsOneRequestProbeIt() {
        var book = RateLimitBook()
        let route = Route(.POST, "/channels/1/messages")
        #expect(book.reserve(route, now: t0) == .proceed)
        guard case .wait = book.reserve(route, now: t0) else {
            Issue.record("a second request went out before the bucket was known")
            return
        }
        book.record(route, status: 200, headers: .init(bucket: "abc", limit: 5, remaining: 4, resetAfter: 5), now: t0)
        #expect(book.bucketHash(for: route) == "abc")
        for _ in 0..<4 { #expect(book.reserve(route, now: t0) == .proceed) }
        #expect(book.reserve(route, now: t0) == .wait(until: t0 + .seconds(5)))
        #expect(book.reserve(route, now: t0 + .seconds(5)) == .proceed)
    }

    /// The race a loaded CI machine hit: two requests reserved in one window reach Discord after it rolled over,
    /// so their answers say "2 left" and "1 left" while the other is still out. Neither may reopen the bucket, and
    /// the client must wait for the later reset the answers announce.
    @Test func answersFromARolledOverWindowDoNotOverrunIt() {
        var book = RateLimitBook()
        let route = Route(.POST, "/channels/1/messages")
        _ = book.reserve(route, now: t0)
        book.record(route, window: 0, status: 200,
                    headers: .init(bucket: "m", limit: 3, remaining: 2, resetAfter: 1), now: t0)
        #expect(book.reserve(route, now: t0) == .proceed)
        #expect(book.reserve(route, now: t0) == .proceed)
        let late = t0 + .milliseconds(1200)
        // Discord saw the second request first in a new window ending at late + 1 s.
        book.record(route, window: 0, status: 200,
                    headers: .init(bucket: "m", limit: 3, remaining: 2, resetAfter: 1), now: late)
        #expect(book.reserve(route, now: late) == .wait(until: late + .seconds(1)))
        // An answer older than one already seen (more left, earlier reset) changes nothing either.
        book.record(route, window: 0, status: 200,
                    headers: .init(bucket: "m", limit: 3, remaining: 1, resetAfter: 0.9), now: late)
        #expect(book.reserve(route, now: late) == .wait(until: late + .seconds(1)))
        for _ in 0..<3 { #expect(book.reserve(route, now: late + .seconds(1)) == .proceed) }
        #expect(book.reserve(route, now: late + .seconds(1)) == .wait(until: late + .seconds(61)))
    }

    /// A request still out when the local window resets answers for the old window; its "0 left, resets in 1 ms"
    /// must not make the client open yet another window on top of the requests it already sent in this one.
    @Test func aLateAnswerFromTheLastWindowIsIgnored() {
        var book = RateLimitBook()
        let route = Route(.POST, "/channels/1/messages")
        _ = book.reserve(route, now: t0)
        book.record(route, status: 200, headers: .init(bucket: "m", limit: 2, remaining: 1, resetAfter: 1), now: t0)
        #expect(book.reserve(route, now: t0) == .proceed)
        let oldWindow = book.window(for: route)
        let next = t0 + .seconds(1)
        #expect(book.reserve(route, now: next) == .proceed)
        #expect(book.reserve(route, now: next) == .proceed)
        #expect(book.window(for: route) == oldWindow + 1)
        book.record(route, window: oldWindow, status: 200,
                    headers: .init(bucket: "m", limit: 2, remaining: 0, resetAfter: 0.001), now: next)
        guard case .wait = book.reserve(route, now: next + .milliseconds(2)) else {
            Issue.record("a stale answer reopened the bucket")
            return
        }
        // The answer for this window confirms it and sets its real reset.
        book.record(route, window: oldWindow + 1, status: 200,
                    headers: .init(bucket: "m", limit: 2, remaining: 0, resetAfter: 1), now: next)
        #expect(book.reserve(route, now: next) == .wait(until: next + .seconds(1)))
        #expect(book.reserve(route, now: next + .seconds(1)) == .proceed)
    }

    @Test func bucketsAreSplitByMajorParameter() {
        var book = RateLimitBook()
        let one = Route(.POST, "/channels/1/messages")
        let two = Route(.POST, "/channels/2/messages")
        _ = book.reserve(one, now: t0)
        book.record(one, status: 200, headers: .init(bucket: "m", limit: 1, remaining: 0, resetAfter: 2), now: t0)
        #expect(book.reserve(one, now: t0) == .wait(until: t0 + .seconds(2)))
        #expect(book.reserve(two, now: t0) == .proceed)
    }

    @Test func a429WaitsOutRetryAfterForItsBucketOnly() {
        var book = RateLimitBook()
        let route = Route(.PATCH, "/channels/1/messages/2")
        let other = Route(.GET, "/users/@me")
        _ = book.reserve(route, now: t0)
        book.record(route, status: 429, headers: .init(bucket: "e", retryAfter: 1.5, scope: "user"), now: t0)
        #expect(book.reserve(route, now: t0) == .wait(until: t0 + .seconds(1.5)))
        #expect(book.reserve(other, now: t0) == .proceed)
    }

    @Test func aGlobal429StopsEverythingButInteractions() {
        var book = RateLimitBook()
        let route = Route(.GET, "/users/@me")
        _ = book.reserve(route, now: t0)
        book.record(route, status: 429, headers: .init(retryAfter: 3, global: true, scope: "global"), now: t0)
        #expect(book.reserve(Route(.GET, "/channels/7"), now: t0) == .wait(until: t0 + .seconds(3)))
        #expect(book.reserve(Route(.POST, "/interactions/1/t/callback"), now: t0) == .proceed)
        #expect(book.reserve(Route(.GET, "/channels/7"), now: t0 + .seconds(3)) == .proceed)
    }

    @Test func theGlobalLimitIsKeptLocally() {
        var book = RateLimitBook(globalLimitPerSecond: 3)
        for i in 0..<3 {
            let r = Route(.GET, "/channels/\(i)")
            #expect(book.reserve(r, now: t0) == .proceed)
        }
        #expect(book.reserve(Route(.GET, "/channels/9"), now: t0) == .wait(until: t0 + .seconds(1)))
        #expect(book.reserve(Route(.GET, "/channels/9"), now: t0 + .seconds(1)) == .proceed)
    }

    @Test func invalidRequestsPauseSendingBeforeABan() {
        var guardian = InvalidRequestGuard(limit: 3, window: .seconds(600))
        guardian.record(status: 401, scope: nil, now: t0)
        guardian.record(status: 429, scope: "shared", now: t0)  // shared 429s do not count
        guardian.record(status: 404, scope: nil, now: t0)  // neither do other errors
        guardian.record(status: 403, scope: nil, now: t0 + .seconds(1))
        #expect(guardian.blockedUntil(now: t0 + .seconds(2)) == nil)
        guardian.record(status: 429, scope: "user", now: t0 + .seconds(2))
        #expect(guardian.blockedUntil(now: t0 + .seconds(2)) == t0 + .seconds(600))
        #expect(guardian.blockedUntil(now: t0 + .seconds(600)) == nil)
    }
}
