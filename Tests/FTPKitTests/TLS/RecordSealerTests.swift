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
        sealing: Bool = true
    ) async throws -> Pair {
        let (cert, key) = try await OpenSSLHandlerTests.certificate(in: dir)
        var serverConfiguration = TLSConfiguration.server(certificateChainPath: cert, privateKeyPath: key)
        serverConfiguration.cipherSuites = suite
        serverConfiguration.sealsDataRecords = sealing
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

    /// A peer that asks for a key update gets the sealed KeyUpdate answer; the sealer does not have the next keys
    /// (OpenSSL 3.0 does not pass them on), so the next write fails with that reason instead of sending records
    /// the peer cannot open, and the peer receives nothing it could mistake for data.
    @Test func aKeyUpdateRequestFailsTheNextWriteWithItsReason() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let p = try await Self.pair(in: dir, serverSeals: true, clientSeals: false)
        let before = randomData(40_000)
        #expect(try await p.send(before, from: p.server) == before)

        p.clientHandler.requestKeyUpdate()
        #expect(String(decoding: try await p.send(Data("ping".utf8), from: p.client), as: UTF8.self) == "ping")

        do {
            try await p.server.writeAndFlush(ByteBuffer(bytes: randomData(40_000)))
            Issue.record("a write after the key update went out")
        } catch let error as TLSError {
            #expect(error.message.contains("key update"), "\(error)")
        }
        try? OpenSSLHandlerTests.interact(p.client, p.server)
        #expect(try Self.received(p.client).isEmpty)
        p.finish()
    }
}
