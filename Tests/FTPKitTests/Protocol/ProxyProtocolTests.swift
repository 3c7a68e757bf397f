import Testing
import SeedTestSupport

@testable import FTPKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct ProxyProtocolTests {
    func header(_ bytes: [UInt8]) -> ProxyProtocolHeader.ParseResult { ProxyProtocolHeader.parse(bytes) }

    @Test func versionOne() throws {
        let line = Array("PROXY TCP4 192.0.2.7 198.51.100.2 56324 21\r\nUSER x\r\n".utf8)
        #expect(header(line) == .header(ProxyProtocolHeader(
            version: 1, command: .proxy, source: FTPHostPort(host: "192.0.2.7", port: 56324),
            destination: FTPHostPort(host: "198.51.100.2", port: 21)), length: 44))
        let v6 = try #require(header(Array("PROXY TCP6 2001:db8::1 ::1 4000 21\r\n".utf8)).parsed, "TCP6 not parsed")
        #expect(v6.source == FTPHostPort(host: "2001:db8::1", port: 4000))
        let unknown = try #require(header(Array("PROXY UNKNOWN\r\n".utf8)).parsed, "UNKNOWN not parsed")
        #expect(unknown.command == .local && unknown.source == nil)
        #expect(header(Array("PROXY TCP4 1.2.3.4".utf8)) == .incomplete)
        #expect(header(Array("PRO".utf8)) == .incomplete)
    }

    @Test func versionOneGarbage() {
        for bad in ["PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n", "PROXY TCP4 1.2.3.4 4.5.6.7 1 70000\r\n",
                    "PROXY TCP4 1.2.3.4 4.5.6.7 01 2\r\n", "PROXY UDP4 1.2.3.4 4.5.6.7 1 2\r\n",
                    "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "PROXY TCP4 1.2.3.4 4.5.6.7 1 2\n\r\n",
                    "PROXY " + String(repeating: "A", count: 120)] {
            guard case .invalid = header(Array(bad.utf8)) else {
                Issue.record("accepted: \(bad.prefix(40))")
                continue
            }
        }
        #expect(header(Array("USER alice\r\n".utf8)) == .absent)
        #expect(header(Array("PROT P\r\n".utf8)) == .absent)
    }

    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    @Test func versionTwo() throws {
        // PROXY, TCP over IPv4, 12 address bytes and a 3-byte TLV that is skipped.
        var v4 = Self.signature + [0x21, 0x11, 0x00, 15]
        v4 += [192, 0, 2, 7, 198, 51, 100, 2, 0xDC, 0x04, 0x00, 0x15] + [0x04, 0x00, 0x00]
        #expect(header(v4 + Array("USER".utf8)) == .header(ProxyProtocolHeader(
            version: 2, command: .proxy, source: FTPHostPort(host: "192.0.2.7", port: 56324),
            destination: FTPHostPort(host: "198.51.100.2", port: 21)), length: 31))
        // IPv6.
        var v6 = Self.signature + [0x21, 0x21, 0x00, 36]
        v6 += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]  // 2001:db8::1
        v6 += [UInt8](repeating: 0, count: 15) + [1]  // ::1
        v6 += [0x0F, 0xA0, 0x00, 0x15]
        let h6 = try #require(header(v6).parsed, "v2 IPv6 not parsed")
        #expect(h6.source == FTPHostPort(host: "2001:db8::1", port: 4000))
        #expect(h6.destination?.host == "::1")
        #expect(header(v6) == .header(h6, length: 52))
        // LOCAL (health checks) and a truncated header.
        let local = try #require(header(Self.signature + [0x20, 0x00, 0x00, 0x00]).parsed, "LOCAL not parsed")
        #expect(local.command == .local)
        #expect(header(Array(v4.prefix(20))) == .incomplete)
        #expect(header(Array(Self.signature.prefix(5))) == .incomplete)
    }

    @Test func versionTwoGarbage() {
        let malformed: [[UInt8]] = [
            Self.signature + [0x31, 0x11, 0x00, 12] + [UInt8](repeating: 0, count: 12),
            Self.signature + [0x2F, 0x11, 0x00, 12] + [UInt8](repeating: 0, count: 12),
            Self.signature + [0x21, 0x11, 0x00, 4, 1, 2, 3, 4],
            Self.signature + [0x21, 0x31, 0x00, 0],
            Self.signature + [0x21, 0x11, 0xFF, 0xFF],
        ]
        for bytes in malformed {
            if case .invalid = header(bytes) { continue }
            Issue.record("a malformed v2 header was accepted: \(bytes)")
        }
    }
}

extension ProxyProtocolHeader.ParseResult {
    /// The header, when one was parsed.
    var parsed: ProxyProtocolHeader? {
        if case .header(let header, _) = self { return header }
        return nil
    }
}
