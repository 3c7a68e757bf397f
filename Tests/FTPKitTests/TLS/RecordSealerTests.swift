import Crypto
import Foundation
import NIOCore
import NIOEmbedded
import Testing
import SeedTestSupport

@testable import FTPKit

/// Records sealed by ``RecordSealer`` (data connections on TLS 1.3), opened by OpenSSL's own record layer on the
/// other side: a real handshake between two in-memory channels, then data, close_notify and a key update.
@Suite(.tags(.interop), .inTestSet(.interop)) struct RecordSealerTests {
    struct Pair {
        let server: EmbeddedChannel, client: EmbeddedChannel
        let serverHandler: OpenSSLHandler, clientHandler: OpenSSLHandler
        let serverContext: TLSContext, clientContext: TLSContext

        /// Writes `payload` on `from`, moves the records across, and returns what the other side decrypted.
        func send(_ payload: Data, from: EmbeddedChannel) async throws -> Data {
            try await from.writeAndFlush(ByteBuffer(bytes: payload))
            try OpenSSLHandlerTests.interact(self.client, self.server)
            return try RecordSealerTests.received(from === self.server ? self.client : self.server)
        }

        func finish() {
            _ = try? self.server.finish()
            _ = try? self.client.finish()
        }
    }

    /// A handshaken pair; `serverSeals`/`clientSeals` make that side a data connection.
    static func pair(
        in dir: TemporaryDirectory, suite: String = "TLS_AES_128_GCM_SHA256", serverSeals: Bool, clientSeals: Bool,
        sealing: Bool = true, serverRecordsPerKey: UInt64? = nil
    ) async throws -> Pair {
        let (cert, key) = try await OpenSSLHandlerTests.certificate(in: dir)
        var serverConfiguration = TLSConfiguration.server(certificateChainPath: cert, privateKeyPath: key)
        serverConfiguration.cipherSuites = suite
        serverConfiguration.sealsDataRecords = sealing
        if let serverRecordsPerKey { serverConfiguration.sealedRecordsPerKey = serverRecordsPerKey }
        var clientConfiguration = TLSConfiguration(trustedCAPath: cert)
        clientConfiguration.sealsDataRecords = sealing
        let serverContext = try TLSContext(configuration: serverConfiguration, server: true)
        let clientContext = try TLSContext(configuration: clientConfiguration, server: false)
        let serverHandler = try OpenSSLHandler(context: serverContext, dataConnection: serverSeals)
        let clientHandler = try OpenSSLHandler(context: clientContext, serverHostname: "localhost", dataConnection: clientSeals)
        let server = EmbeddedChannel(handler: serverHandler)
        let client = EmbeddedChannel()
        _ = try await server.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).get()
        _ = try await client.connect(to: .init(ipAddress: "127.0.0.1", port: 2)).get()
        try client.pipeline.syncOperations.addHandler(clientHandler)
        try OpenSSLHandlerTests.interact(client, server)
        #expect(clientHandler.state == .active)
        return Pair(server: server, client: client, serverHandler: serverHandler, clientHandler: clientHandler,
                    serverContext: serverContext, clientContext: clientContext)
    }

    static func received(_ channel: EmbeddedChannel) throws -> Data {
        var data = Data()
        while let b = try channel.readInbound(as: ByteBuffer.self) { data.append(contentsOf: b.readableBytesView) }
        return data
    }

    /// Each suite's records, as they leave: full 16 KiB records then a short one, application data outside,
    /// opened by the client's OpenSSL byte for byte; then the sealed close_notify reaches it.
    @Test(arguments: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])
    func serverRecordsOpenInOpenSSL(_ suite: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, suite: suite, serverSeals: true, clientSeals: false)
        #expect(p.serverContext.sealedConnections.load(ordering: .relaxed) == 1)
        #expect(p.clientContext.sealedConnections.load(ordering: .relaxed) == 0)

        let payload = randomData((1 << 20) + 100)
        try await p.server.writeAndFlush(ByteBuffer(bytes: payload))
        var lengths: [Int] = []
        var wire: [ByteBuffer] = []
        while let out = try p.server.readOutbound(as: ByteBuffer.self) {
            wire.append(out)
            var view = out
            while view.readableBytes >= 5 {
                #expect(view.readInteger(as: UInt8.self) == 23)
                #expect(view.readInteger(as: UInt16.self) == 0x0303)
                let length = Int(view.readInteger(as: UInt16.self)!)
                lengths.append(length)
                view.moveReaderIndex(forwardBy: length)
            }
            #expect(view.readableBytes == 0)
        }
        #expect(lengths.count == 65)
        #expect(lengths.dropLast().allSatisfy { $0 == 16384 + 1 + 16 })
        #expect(lengths.last == 100 + 1 + 16)
        #expect(p.serverHandler.recordsSealed == 65)
        // Nothing is left in plaintext on the wire.
        let sample = Data(payload[5000..<5032])
        #expect(!wire.contains { Data($0.readableBytesView).range(of: sample) != nil })

        for buffer in wire { try p.client.writeInbound(buffer) }
        #expect(try Self.received(p.client) == payload)

        // close_notify is an alert record, sealed with its own content type.
        p.server.close(promise: nil)
        try OpenSSLHandlerTests.interact(p.client, p.server)
        #expect(p.clientHandler.receivedCloseNotify)
        p.finish()
    }

    /// The client's data connections (uploads) seal too, and the server's OpenSSL opens them.
    @Test func clientUploadsAreSealed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, serverSeals: false, clientSeals: true)
        let payload = randomData(300_001)
        #expect(try await p.send(payload, from: p.client) == payload)
        #expect(p.clientHandler.recordsSealed == 19)
        #expect(p.serverHandler.recordsSealed == 0)
        p.client.close(promise: nil)
        try OpenSSLHandlerTests.interact(p.client, p.server)
        #expect(p.serverHandler.receivedCloseNotify)
        p.finish()
    }

    /// Control connections, and data connections with sealing turned off, leave every record to OpenSSL.
    @Test func controlConnectionsAndSealingOffUseOpenSSL() async throws {
        for (dataConnection, sealing) in [(false, true), (true, false)] {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let p = try await Self.pair(in: dir, serverSeals: dataConnection, clientSeals: dataConnection, sealing: sealing)
            let payload = randomData(100_000)
            #expect(try await p.send(payload, from: p.server) == payload)
            #expect(p.serverHandler.recordsSealed == 0)
            #expect(p.serverContext.sealedConnections.load(ordering: .relaxed) == 0)
            p.finish()
        }
    }

    /// A peer that asks for a key update (RFC 8446 §4.6.3) gets the KeyUpdate answer sealed under the old keys,
    /// and every record after it under keys the sealer derived itself from its traffic secret: the peer's OpenSSL
    /// opens them, in each suite (SHA-384 for AES-256-GCM), over several updates in a row.
    @Test(arguments: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])
    func keyUpdatesThePeerRequestsAreFollowed(_ suite: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, suite: suite, serverSeals: true, clientSeals: false)
        let before = randomData(40_000)
        #expect(try await p.send(before, from: p.server) == before)

        for round in 1...3 {
            p.clientHandler.requestKeyUpdate()
            #expect(String(decoding: try await p.send(Data("ping".utf8), from: p.client), as: UTF8.self) == "ping")
            let after = randomData(100_000 + round)
            #expect(try await p.send(after, from: p.server) == after)
            #expect(p.serverHandler.keyUpdatesSealed == round)
        }
        // The sequence restarted under each key: 3 records before the first update, 7 for each 100 KB after.
        #expect(p.serverHandler.recordsSealed == 3 + 3 * (1 + 7))
        p.server.close(promise: nil)
        try OpenSSLHandlerTests.interact(p.client, p.server)
        #expect(p.clientHandler.receivedCloseNotify)
        p.finish()
    }

    /// This side may update its own keys too (a client's upload here), with or without asking the peer to follow.
    @Test func keyUpdatesThisSideStartsAreFollowed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, serverSeals: false, clientSeals: true)
        for (round, requested) in [false, true].enumerated() {
            p.clientHandler.requestKeyUpdate(askingPeer: requested)
            let payload = randomData(70_000)
            #expect(try await p.send(payload, from: p.client) == payload)
            #expect(p.clientHandler.keyUpdatesSealed == round + 1)
            // The server answers a request with its own KeyUpdate, under OpenSSL's record layer.
            let reply = Data("ok".utf8)
            #expect(try await p.send(reply, from: p.server) == reply)
        }
        p.finish()
    }

    /// A connection that has sealed its key's share of records updates its keys itself before the next write
    /// (OpenSSL 3.0 would not), and the peer opens everything.
    @Test func keysAreUpdatedBeforeTheirRecordLimit() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, suite: "TLS_AES_256_GCM_SHA384", serverSeals: true, clientSeals: false,
                                    serverRecordsPerKey: 10)
        var updates = 0
        for _ in 0..<12 {
            let payload = randomData(64 * 1024)  // 4 records a write
            #expect(try await p.send(payload, from: p.server) == payload)
            #expect(p.serverHandler.keyUpdatesSealed >= updates)
            updates = p.serverHandler.keyUpdatesSealed
        }
        // The check runs before each write: 12 records under a key after 3 writes (≥ 10), so a KeyUpdate goes
        // out before writes 4, 7 and 10 (sealed under the key it retires) and the last 3 writes leave 12 again.
        #expect(updates == 3)
        p.finish()
    }

    /// Only a handshake record whose messages end, whole, with a KeyUpdate moves the sealer to new keys; truncated
    /// or overlong lengths are not mistaken for one.
    @Test func keyUpdateMessagesAreRecognised() {
        func ends(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { RecordSealer.endsWithKeyUpdate($0) } }
        let keyUpdate: [UInt8] = [24, 0, 0, 1, 0]
        let ticket: [UInt8] = [4, 0, 0, 3, 1, 2, 3]
        #expect(ends(keyUpdate))
        #expect(ends(ticket + keyUpdate))
        #expect(!ends(keyUpdate + ticket))
        #expect(!ends(ticket))
        #expect(!ends([]))
        #expect(!ends([24, 0, 0]))
        #expect(!ends([24, 0, 0, 2, 0]))
        #expect(!ends([24, 0xff, 0xff, 0xff, 0]))
        #expect(!ends(keyUpdate + [0]))
    }

    /// The traffic secret is read from OpenSSL's key-log line for this side only, and malformed lines give none.
    @Test func trafficSecretLines() {
        let secret = String(repeating: "0a", count: 32)
        let random = String(repeating: "ff", count: 32)
        func parse(_ line: String, _ label: String = "SERVER_TRAFFIC_SECRET_0 ") -> Int? {
            line.withCString { TrafficSecretLog.secret(in: $0, labelled: label)?.bitCount }
        }
        #expect(parse("SERVER_TRAFFIC_SECRET_0 \(random) \(secret)") == 256)
        #expect(parse("SERVER_TRAFFIC_SECRET_0 \(random) \(String(repeating: "Ab", count: 48))") == 384)
        #expect(parse("CLIENT_TRAFFIC_SECRET_0 \(random) \(secret)") == nil)
        #expect(parse("SERVER_HANDSHAKE_TRAFFIC_SECRET \(random) \(secret)") == nil)
        #expect(parse("SERVER_TRAFFIC_SECRET_0 \(random) \(secret.dropLast())") == nil)
        #expect(parse("SERVER_TRAFFIC_SECRET_0 \(random) \(String(repeating: "zz", count: 32))") == nil)
        #expect(parse("SERVER_TRAFFIC_SECRET_0 \(random) ") == nil)
        #expect(parse("SERVER_TRAFFIC_SECRET_0") == nil)
    }

    /// RFC 8448 §3: both sides' application traffic secrets and the write keys and IVs derived from them
    /// (TLS_AES_128_GCM_SHA256).
    @Test func keyDerivationMatchesRFC8448() {
        func hex(_ key: SymmetricKey) -> String { key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }
        let vectors = [
            ("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", "9f02283b6c9c07efc26bb9f2ac92e356",
             "cf782b88dd83549aadf1e984"),
            ("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", "17422dda596ed5d9acd890e3c63f5051",
             "5b78923dee08579033e523d9"),
        ]
        for (secret, key, iv) in vectors {
            let secret = SymmetricKey(data: hexBytes(secret))
            #expect(hex(TrafficSecretHash.sha256.expandLabel(secret, "key", length: 16)) == key)
            #expect(hex(TrafficSecretHash.sha256.expandLabel(secret, "iv", length: 12)) == iv)
        }
    }
}

private func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
