import DiscordKit
import Testing

@Suite struct RateLimitBookTests {
    let t0 = ContinuousClock.now

    @Test func routesKeepTheMajorParameterAndHideOtherIDs() {
        let a = Route(.POST, "/channels/111/messages")
        let b = Route(.POST, "/channels/222/messages")
        #expect(a.shape == b.shape)
        #expect(a.majorParameter == "111")
        #expect(Route(.PATCH, "/channels/1/messages/999").shape == "PATCH /channels/{channels}/messages/{id}")
        #expect(Route(.POST, "/interactions/5/secret-token/callback").shape == "POST /interactions/{id}/{token}/callback")
        #expect(Route(.POST, "/interactions/5/tok/callback").exemptFromGlobalLimit)
        #expect(Route(.PATCH, "/webhooks/9/tok/messages/@original").majorParameter == "9/tok")
        #expect(!Route(.GET, "/users/@me").exemptFromGlobalLimit)
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
