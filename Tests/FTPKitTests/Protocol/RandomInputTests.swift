import Foundation
import Testing
import SeedTestSupport

@testable import FTPKit

/// Seeded random input through every pure parser (commands, paths, replies, listings, addresses, PROXY headers):
/// never a crash or a hang, and each parser's promise holds. Failures print the seed's input for replaying.
@Suite(.tags(.unit), .inTestSet(.unit)) struct RandomInputTests {
    /// SplitMix64: small, seedable, the same on every machine.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Mostly the characters parsers split on, with control bytes, digits, letters and invalid UTF-8 mixed in.
    static let alphabet: [[UInt8]] = [
        Array("/".utf8), Array("..".utf8), Array(".".utf8), Array(",".utf8), Array("|".utf8), Array(" ".utf8),
        Array(";".utf8), Array("=".utf8), Array("-".utf8), Array(":".utf8), Array("(".utf8), Array(")".utf8),
        Array("\"".utf8), Array("\r".utf8), Array("\n".utf8), [0], [0xFF], [0xC3], Array("é".utf8),
        Array("127".utf8), Array("0".utf8), Array("65535".utf8), Array("99999999999999999999".utf8),
        Array("RETR".utf8), Array("a".utf8), Array("Z".utf8), Array("PROXY".utf8), Array("TCP4".utf8),
        Array("drwxr-xr-x".utf8), Array("<DIR>".utf8), Array("Jan".utf8), Array("12:34".utf8), Array("+".utf8),
    ]

    func randomBytes(_ rng: inout Generator, pieces: ClosedRange<Int> = 0...24) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: pieces, using: &rng) {
            if Int.random(in: 0..<8, using: &rng) == 0 {
                out.append(UInt8.random(in: 0...255, using: &rng))
            } else {
                out += Self.alphabet.randomElement(using: &rng)!
            }
        }
        return out
    }

    @Test func commandLines() {
        var rng = Generator(state: 1)
        for _ in 0..<20_000 {
            let line = self.randomBytes(&rng)
            if case .success(let command) = FTPCommandParser.parse(line) {
                let text = String(describing: command)
                #expect(!text.contains("\0"), "\(line)")
            }
        }
    }

    @Test func pathsNeverClimbAboveTheRoot() {
        var rng = Generator(state: 2)
        for _ in 0..<20_000 {
            let base = FTPPath(String(decoding: self.randomBytes(&rng, pieces: 0...6), as: UTF8.self))
            let argument = String(decoding: self.randomBytes(&rng), as: UTF8.self)
            let resolved = base.resolving(argument)
            // Compared as scalars: a "/" followed by a combining mark is one Character in Swift.
            let scalars = resolved.components.map { Array($0.unicodeScalars) }
            #expect(!scalars.contains { $0.isEmpty || $0 == ["."] || $0 == [".", "."] || $0.contains("/") },
                    "\(base) + \(argument.debugDescription)")
            #expect(resolved.description.unicodeScalars.first == "/")
            #expect(FTPPath(resolved.description) == resolved, "normalizing twice changed \(resolved)")
            // Built from components or appended to, as a library caller may: the same guarantees.
            let pieces = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                String(decoding: self.randomBytes(&rng, pieces: 0...3), as: UTF8.self)
            }
            for built in [FTPPath(components: pieces), base.appending(argument)] {
                let parts = built.components.map { Array($0.unicodeScalars) }
                #expect(!parts.contains { $0.isEmpty || $0 == ["."] || $0 == [".", "."] || $0.contains("/") },
                        "\(pieces.map(\.debugDescription)) / \(argument.debugDescription)")
                #expect(FTPPath(built.description) == built, "\(built.components)")
            }
        }
    }

    @Test func repliesAreAssembledOrRefused() {
        var rng = Generator(state: 3)
        for _ in 0..<2_000 {
            var parser = FTPReplyParser(maxLines: 50)
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let line = String(decoding: self.randomBytes(&rng, pieces: 0...8), as: UTF8.self)
                do {
                    if let reply = try parser.feed(line) {
                        #expect((100...599).contains(reply.code), "\(line)")
                    }
                } catch {
                    break
                }
            }
        }
    }

    @Test func listingLinesAreParsedOrKeptRaw() {
        var rng = Generator(state: 4)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for _ in 0..<20_000 {
            let line = String(decoding: self.randomBytes(&rng), as: UTF8.self)
            let trimmed = line.trimmingSuffixNewlines()
            if let entry = FTPListParser.parseList(line, now: now) {
                #expect(!entry.name.isEmpty || entry.kind == .unparsed, "\(line.debugDescription)")
                if entry.kind == .unparsed { #expect(entry.raw == trimmed) }
            } else {
                #expect(trimmed.isEmpty || trimmed.hasPrefix("total "), "dropped \(line.debugDescription)")
            }
            _ = FTPListParser.parseMachine(line)
        }
    }

    @Test func addressesAreInRange() {
        var rng = Generator(state: 5)
        for _ in 0..<20_000 {
            let text = String(decoding: self.randomBytes(&rng, pieces: 0...14), as: UTF8.self)
            for parsed in [FTPHostPort.parsePORT(text), FTPHostPort.parseEPRT(text), FTPHostPort.parsePASVReply(text)] {
                guard let parsed else { continue }
                #expect((0...65535).contains(parsed.port), "\(text.debugDescription)")
                #expect(IPAddressText.isIPv4(parsed.host) || IPAddressText.isIPv6(parsed.host), "\(text.debugDescription)")
            }
            if let port = FTPHostPort.parseEPSVReply(text) { #expect((0...65535).contains(port), "\(text.debugDescription)") }
        }
    }

    @Test func proxyHeadersNeverReadPastTheBytes() {
        var rng = Generator(state: 6)
        let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
        for i in 0..<20_000 {
            var bytes = self.randomBytes(&rng, pieces: 0...12)
            switch i % 3 {
            case 0: bytes = Array("PROXY ".utf8) + bytes
            case 1: bytes = v2Signature + (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default: break
            }
            if case .header(_, let length) = ProxyProtocolHeader.parse(bytes) {
                #expect(length > 0 && length <= bytes.count, "\(bytes)")
            }
        }
    }
}
