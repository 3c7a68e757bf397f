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

    /// The conversion copies runs between line ends: it must give what converting byte by byte gives, whatever the
    /// chunking (a CR or CRLF split between chunks, empty chunks, runs of CRs and LFs).
    @Test(arguments: [ASCIIConverter.Direction.toNetwork, .fromNetwork])
    func anyChunkingConvertsAsByteByByte(_ direction: ASCIIConverter.Direction) {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            var pendingCR = false
            for byte in bytes {
                switch direction {
                case .toNetwork:
                    if byte == 10, !pendingCR { out.append(13) }
                    out.append(byte)
                    pendingCR = byte == 13
                case .fromNetwork:
                    if pendingCR {
                        pendingCR = false
                        if byte != 10 { out.append(13) }
                    }
                    if byte == 13 { pendingCR = true } else { out.append(byte) }
                }
            }
            if pendingCR, direction == .fromNetwork { out.append(13) }
            return out
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let alphabet: [UInt8] = [13, 10, 97, 98, 0, 255]
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var cuts = (0..<Int.random(in: 0...4, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }
            cuts = ([0] + cuts + [bytes.count]).sorted()
            var converter = ASCIIConverter(direction)
            var out: [UInt8] = []
            for (from, to) in zip(cuts, cuts.dropFirst()) {
                out += Array(buffer: converter.convert(ByteBuffer(bytes: bytes[from..<to]), allocator: .init()))
            }
            if let rest = converter.finish(allocator: .init()) { out += Array(buffer: rest) }
            #expect(out == reference(bytes), "\(bytes) cut at \(cuts)")
        }
    }
}
