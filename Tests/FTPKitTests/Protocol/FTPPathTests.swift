import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPPathTests {
    /// "/" is the separator wherever it stands, also when Swift folds it into one Character with a combining
    /// mark after it or a prepended mark before it.
    @Test func slashesInsideGraphemesStillSeparate() {
        #expect(FTPPath("/a/\u{301}b").components == ["a", "\u{301}b"])
        #expect(FTPPath("/\u{600}/../x").components == ["x"])
        #expect(FTPPath("/x/\u{600}/../../../etc").components == ["etc"])
        #expect(FTPPath("/..\u{301}").components == ["..\u{301}"], "a dot with a mark is a name, not ..")
    }

    @Test(arguments: [
        ("/a/b", "/a/b"), ("a//b/./c", "/a/b/c"), ("../../..", "/"), ("/../etc/passwd", "/etc/passwd"),
        ("x/../../y", "/y"), ("%2e%2e/%2e%2e", "/%2e%2e/%2e%2e"), ("..\\..\\etc", "/..\\..\\etc"), ("", "/"),
    ])
    func normalization(_ input: String, _ expected: String) {
        #expect(FTPPath.root.resolving(input).description == expected)
    }

    @Test func relativeToCurrentDirectory() {
        let cwd = FTPPath("/home/alice")
        #expect(cwd.resolving("docs").description == "/home/alice/docs")
        #expect(cwd.resolving("..").description == "/home")
        #expect(cwd.resolving("/abs").description == "/abs")
    }

    @Test func containment() {
        #expect(FTPPath("/a").contains(FTPPath("/a/b")))
        #expect(!FTPPath("/a").contains(FTPPath("/ab")))
        #expect(FTPPath.root.contains(FTPPath("/x")))
    }

    @Test func quotedDoublesQuotes() {
        #expect(FTPPath("/say \"hi\"").quoted == "\"/say \"\"hi\"\"\"")
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPHostPortTests {
    @Test func parsesPORT() {
        #expect(FTPHostPort.parsePORT("127,0,0,1,4,1") == FTPHostPort(host: "127.0.0.1", port: 1025))
    }

    @Test(arguments: ["", "1,2,3,4,5", "1,2,3,4,5,6,7", "256,0,0,1,4,1", "a,b,c,d,e,f", "1,2,3,4,0,0", "-1,2,3,4,5,6",
        "1,2,3,4,5,1000", "1,,3,4,5,6"])
    func rejectsBadPORT(_ s: String) {
        #expect(FTPHostPort.parsePORT(s) == nil)
    }

    @Test func parsesEPRT() {
        #expect(FTPHostPort.parseEPRT("|1|132.235.1.2|6275|") == FTPHostPort(host: "132.235.1.2", port: 6275))
        #expect(FTPHostPort.parseEPRT("|2|::1|5282|") == FTPHostPort(host: "::1", port: 5282))
        #expect(FTPHostPort.parseEPRT("!1!10.0.0.1!2000!") == FTPHostPort(host: "10.0.0.1", port: 2000))
    }

    @Test(arguments: ["|3|1.2.3.4|80|", "|1|1.2.3|80|", "|1|1.2.3.4|0|", "|1|1.2.3.4|70000|", "|1|1.2.3.4|", "|2|zz::1|80|",
        "1|1.2.3.4|80|"])
    func rejectsBadEPRT(_ s: String) {
        #expect(FTPHostPort.parseEPRT(s) == nil)
    }

    @Test func pasvAndEpsvReplies() {
        #expect(FTPHostPort.parsePASVReply("Entering Passive Mode (192,168,1,2,19,137).")
            == FTPHostPort(host: "192.168.1.2", port: 5001))
        #expect(FTPHostPort.parsePASVReply("=10,0,0,1,0,21") == FTPHostPort(host: "10.0.0.1", port: 21))
        #expect(FTPHostPort.parseEPSVReply("Entering Extended Passive Mode (|||6446|)") == 6446)
        #expect(FTPHostPort.parseEPSVReply("garbage") == nil)
        #expect(FTPHostPort(host: "10.1.2.3", port: 5001).pasvTuple == "10,1,2,3,19,137")
    }

    @Test func canonicalAddresses() {
        #expect(IPAddressText.canonical("::FFFF:10.0.0.1") == "10.0.0.1")
        #expect(IPAddressText.canonical("FE80::1") == "fe80::1")
    }
}

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPTimestampTests {
    @Test func roundTrip() throws {
        let d = try #require(FTPTimestamp.parse("20240229123456"))
        #expect(FTPTimestamp.format(d) == "20240229123456")
        #expect(FTPTimestamp.parse("20240229123456.5").map { FTPTimestamp.format($0, fractional: true) } == "20240229123456.500")
    }

    @Test(arguments: ["2024022912345", "2024132912345x", "20241301000000", "20240100000000", "20240101250000", "x", "20240101000000.",
        "20240101000000.abc"])
    func rejectsMalformed(_ s: String) {
        #expect(FTPTimestamp.parse(s) == nil)
    }

    /// A command's time (MFMT) must name a real day; what other servers list is read as timegm(3) would.
    @Test func strictRefusesDaysTheMonthDoesNotHave() {
        for text in ["20230229000000", "20230230120000", "20240431000000", "19000229000000", "20240100000000"] {
            #expect(FTPTimestamp.parse(text, strict: true) == nil, "\(text)")
        }
        for text in ["20240229000000", "20000229000000", "20240430235960", "20231231235959.5"] {
            #expect(FTPTimestamp.parse(text, strict: true) == FTPTimestamp.parse(text), "\(text)")
            #expect(FTPTimestamp.parse(text, strict: true) != nil, "\(text)")
        }
        #expect(FTPTimestamp.parse("20230230120000") != nil, "lenient by default")
    }

    /// The parser counts days itself; it must agree with timegm(3), which it replaced, on every date it accepts:
    /// leap years, the 31st of any month (running on into the next), a 60th second, fractions of up to nine digits.
    @Test func agreesWithTimegm() throws {
        var generator = SystemRandomNumberGenerator()
        var cases = ["19000101000000", "19700101000000", "20000229235960", "21000228000000", "20230231120000",
            "99991231235959", "20240101000000.000000001", "20240101000000.999999999", "20240630120000.5"]
        for _ in 0..<2_000 {
            var text = String(format: "%04d%02d%02d%02d%02d%02d", Int.random(in: 1900...2400, using: &generator),
                Int.random(in: 1...12, using: &generator), Int.random(in: 1...31, using: &generator),
                Int.random(in: 0...23, using: &generator), Int.random(in: 0...59, using: &generator),
                Int.random(in: 0...60, using: &generator))
            if Bool.random(using: &generator) {
                text += "." + String(Int.random(in: 0...999_999_999, using: &generator)).prefix(Int.random(in: 1...9, using: &generator))
            }
            cases.append(text)
        }
        for text in cases {
            let parts = text.split(separator: ".")
            let d = Array(parts[0].utf8).map { Int32($0) - 48 }
            var t = tm()
            t.tm_year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3] - 1900
            t.tm_mon = d[4] * 10 + d[5] - 1
            t.tm_mday = d[6] * 10 + d[7]
            t.tm_hour = d[8] * 10 + d[9]
            t.tm_min = d[10] * 10 + d[11]
            t.tm_sec = d[12] * 10 + d[13]
            let fraction = parts.count == 2 ? try #require(Double("0." + String(parts[1]))) : 0.0
            let expected = Date(timeIntervalSince1970: Double(timegm(&t)) + fraction)
            #expect(FTPTimestamp.parse(text) == expected, "\(text)")
        }
    }
}
