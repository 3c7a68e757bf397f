import NIOCore
import NIOEmbedded
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct FTPLineDecoderTests {
    func feed(_ chunks: [String], maxLength: Int = 16) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FTPLineDecoder(maxLength: maxLength)))
        var out: [String] = []
        for c in chunks {
            try channel.writeInbound(ByteBuffer(string: c))
            while let line = try channel.readInbound(as: FTPControlLine.self) {
                switch line {
                case .line(let b): out.append(String(buffer: b))
                case .tooLong: out.append("<too long>")
                }
            }
        }
        _ = try channel.finish()
        return out
    }

    @Test func splitsOnCRLFAndBareLF() throws {
        #expect(try feed(["USER a\r\nPASS b\nNOOP\r", "\n"]) == ["USER a", "PASS b", "NOOP"])
    }

    @Test func linesSplitAcrossReads() throws {
        #expect(try feed(["US", "ER a", "lice\r", "\nQU", "IT\r\n"]) == ["USER alice", "QUIT"])
    }

    @Test func overlongLineIsReportedOnceAndSkipped() throws {
        let long = String(repeating: "x", count: 40)
        #expect(try feed(["RETR " + long, long, "\r\nNOOP\r\n"]) == ["<too long>", "NOOP"])
        #expect(try feed(["RETR " + long + "\r\nNOOP\r\n"]) == ["<too long>", "NOOP"])
    }

    /// The limit is the line's own length: its CR does not count, wherever the stream was cut.
    @Test func aLineOfTheLimitPassesWithEitherEnding() throws {
        let full = String(repeating: "x", count: 16)
        #expect(try feed([full + "\r\n", full + "\n"]) == [full, full])
        #expect(try feed([full, "\r", "\n"]) == [full])
        #expect(try feed([full + "\r", "\nNOOP\n"]) == [full, "NOOP"])
        // One byte more is too long, however it arrives (a CR in the middle is part of the line).
        #expect(try feed([full + "y\r\n"]) == ["<too long>"])
        #expect(try feed([full + "y", "\r\n"]) == ["<too long>"])
        #expect(try feed([full + "\r", "y\r\nNOOP\n"]) == ["<too long>", "NOOP"])
        #expect(try feed([full + "\ry\n"]) == ["<too long>"])
    }

    @Test func partialLineAtCloseIsNotACommand() throws {
        #expect(try feed(["NOOP\r\nDELE x"]) == ["NOOP"])
    }
}
