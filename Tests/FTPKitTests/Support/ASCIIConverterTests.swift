import NIOCore
import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct ASCIIConverterTests {
    func run(_ direction: ASCIIConverter.Direction, _ chunks: [String]) -> String {
        var c = ASCIIConverter(direction)
        var out = ""
        for chunk in chunks {
            out += String(buffer: c.convert(ByteBuffer(string: chunk), allocator: .init()))
        }
        if let rest = c.finish(allocator: .init()) { out += String(buffer: rest) }
        return out
    }

    @Test func toNetworkAddsCR() {
        #expect(run(.toNetwork, ["a\nb\n"]) == "a\r\nb\r\n")
        #expect(run(.toNetwork, ["a\r\nb"]) == "a\r\nb")
        #expect(run(.toNetwork, ["a\r", "\nb"]) == "a\r\nb")
    }

    @Test func fromNetworkRemovesCRAcrossChunks() {
        #expect(run(.fromNetwork, ["a\r\nb\r\n"]) == "a\nb\n")
        #expect(run(.fromNetwork, ["a\r", "\nb"]) == "a\nb")
        #expect(run(.fromNetwork, ["lone\rcr"]) == "lone\rcr")
        #expect(run(.fromNetwork, ["end\r"]) == "end\r")
    }
}
