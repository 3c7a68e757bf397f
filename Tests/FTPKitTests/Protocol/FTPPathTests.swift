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
}
