import Balancer
import NIOCore
import Testing

/// The CRC-32C that downloads are checked against: published vectors (RFC 3720, appendix B.4), a bit-by-bit
/// reference written from the polynomial alone, every way of cutting the input into chunks, and the table-driven
/// loop of CPUs without the CRC32 instruction and the instruction's three interleaved streams alone against the
/// default path (on CPUs with VPCLMULQDQ, blocks of 7,936 bytes shared between the streams and the vector unit).
@Suite struct CRC32CTests {
    /// Bit by bit, straight from the definition (reflected polynomial 0x82F63B78, inverted in and out).
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// Deterministic bytes with no period a block size could line up with.
    static func noise(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test func publishedVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.portableChecksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    /// Lengths around every path's edges (the 8-byte words, the 3 × 256 and 3 × 8192 blocks, the shared blocks of
    /// 7,936 bytes and their 16-byte lanes), at every alignment.
    @Test func everyLoopMatchesTheDefinition() {
        let data = Self.noise(3 * 8192 * 2 + 3 * 256 + 40)
        var lengths = Array(0...70)
        for edge in [768, 7936, 2 * 7936, 3 * 8192, 3 * 7936 + 768, 2 * 3 * 8192] { lengths += Array(edge - 9...edge + 9) }
        lengths += [7936 + 16, 7936 + 3 * 8192 + 3 * 256 + 16 + 8 + 1, data.count - 8]
        for length in lengths {
            for offset in 0..<8 {
                let slice = Array(data[offset..<offset + length])
                let expected = Self.reference(slice)
                #expect(CRC32C.checksum(slice) == expected, "length \(length), offset \(offset)")
                #expect(CRC32C.instructionOnlyChecksum(slice) == expected, "length \(length), offset \(offset)")
                #expect(CRC32C.portableChecksum(slice) == expected, "length \(length), offset \(offset)")
            }
        }
    }

    /// The register carried in from earlier chunks enters the vector unit's lanes as it enters the streams: random
    /// prefixes, then a piece long enough for several shared blocks.
    @Test func aCarriedRegisterEntersTheSharedBlocks() {
        let data = Self.noise(5 * 7936 + 333, seed: 11)
        for prefix in [1, 4, 15, 16, 17, 7936, 7937] {
            var crc = CRC32C()
            crc.update(ByteBuffer(bytes: data[0..<prefix]))
            crc.update(ByteBuffer(bytes: data[prefix...]))
            #expect(crc.value == Self.reference(data), "prefix \(prefix)")
        }
    }

    /// Fed in pieces of any sizes, as chunks arrive from a socket, the result is the whole input's.
    @Test func chunksAddUpToTheWhole() {
        let data = Self.noise(300_000, seed: 7)
        let whole = Self.reference(data)
        for cuts in [[1, 7, 8, 300, 8191, 50_000, 24_581], [256 * 1024], [65_536, 65_536, 65_537], Array(repeating: 999, count: 300)] {
            var crc = CRC32C()
            var start = 0
            for cut in cuts + [data.count] where start < data.count {
                let end = min(start + cut, data.count)
                crc.update(ByteBuffer(bytes: data[start..<end]))
                start = end
            }
            #expect(crc.value == whole, "\(cuts.prefix(3))…")
        }
    }
}
