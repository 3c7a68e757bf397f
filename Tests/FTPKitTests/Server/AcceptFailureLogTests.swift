import FTPKit
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pure decisions behind a server out of descriptors: which accept errors pause accepting, when they are
/// logged, and the open-files limit a server asks for.
@Suite struct AcceptFailureLogTests {
    @Test func onlyShortagesPauseAccepting() {
        for code in [EMFILE, ENFILE, ENOBUFS, ENOMEM] { #expect(AcceptFailureLog.pauses(errno: code)) }
        // A client that gave up before it was accepted is nothing to wait for.
        for code in [ECONNABORTED, EPROTO, EPERM, EINTR] { #expect(!AcceptFailureLog.pauses(errno: code)) }
        var log = AcceptFailureLog()
        #expect(log.failed(errno: ECONNABORTED, at: .uptimeNanoseconds(1)) == .quiet)
    }

    @Test func theFirstFailureIsLoggedAtOnceThenOneLinePerIntervalWithTheCount() {
        var log = AcceptFailureLog(interval: .seconds(30))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        guard case .log(let sentence, let failures) = log.failed(errno: EMFILE, at: start) else {
            Issue.record("the first failure was not logged")
            return
        }
        #expect(failures == 1)
        #expect(sentence.hasPrefix("cannot accept connections: the server has used all the file descriptors"))
        for second in 1..<30 {
            #expect(log.failed(errno: EMFILE, at: start + .seconds(Int64(second))) == .quiet)
        }
        // The 29 quiet failures and this one.
        guard case .log(_, let counted) = log.failed(errno: EMFILE, at: start + .seconds(30)) else {
            Issue.record("a failure after the interval was not logged")
            return
        }
        #expect(counted == 30)
        #expect(log.failed(errno: ENFILE, at: start + .seconds(31)) == .quiet)
        guard case .log(let other, let next) = log.failed(errno: ENFILE, at: start + .seconds(60)) else {
            Issue.record("the system-wide shortage was not logged")
            return
        }
        #expect(next == 2)
        #expect(other.contains("the system has no file descriptors left"))
    }

    @Test func aServerRunsWithItsHardLimit() {
        #expect(OpenFilesLimit(soft: 1024, hard: 524_288).raised == OpenFilesLimit(soft: 524_288, hard: 524_288))
        #expect(OpenFilesLimit(soft: 4096, hard: 4096).raised == OpenFilesLimit(soft: 4096, hard: 4096))
        // The kernel takes no unlimited soft limit for descriptors.
        #expect(OpenFilesLimit(soft: 1024, hard: OpenFilesLimit.unlimited).raised.soft == OpenFilesLimit.ceiling)
    }

    @Test func aLimitBelowTheSessionsIsNamed() {
        let short = OpenFilesLimit(soft: 1024, hard: 1024)
        #expect(short.shortfall(sessions: 2000)
            == "the open-files limit (1024) holds about 960 sessions, fewer than the session limit of 2000: clients "
            + "beyond that wait unanswered until sessions end (raise the hard limit, e.g. ulimit -Hn or systemd's "
            + "LimitNOFILE, or lower the session limit)")
        #expect(short.shortfall(sessions: 960) == nil)
        #expect(short.shortfall(sessions: 961) != nil)
        #expect(OpenFilesLimit(soft: 10, hard: 10).shortfall(sessions: 1)?.contains("holds about 0 sessions") == true)
    }

    @Test func thisProcessHasALimit() throws {
        let limit = try #require(OpenFilesLimit.current())
        #expect(limit.soft <= limit.hard)
        #expect(limit.soft > 0)
    }
}
