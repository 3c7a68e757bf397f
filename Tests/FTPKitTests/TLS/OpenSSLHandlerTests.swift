import Foundation
import NIOCore
import NIOEmbedded
import Testing
import SeedTestSupport

@testable import FTPKit

/// The TLS handler between two in-memory channels: a real OpenSSL handshake, data both ways, close_notify.
@Suite(.tags(.interop), .inTestSet(.interop)) struct OpenSSLHandlerTests {
    /// A self-signed certificate for `localhost` made with the openssl command.
    static func certificate(in dir: TemporaryDirectory) async throws -> (cert: String, key: String) {
        let openssl = try requireTool("openssl", package: "openssl")
        let cert = dir.path + "/cert.pem", key = dir.path + "/key.pem"
        let r = try await runProcess(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        guard r.status == 0 else { throw TestEnvironmentError(description: "openssl req failed: \(r)") }
        return (cert, key)
    }

    /// A server and a client channel with TLS handlers (the client verifies `localhost`), not yet handshaken.
    static func connectedPair(in dir: TemporaryDirectory) async throws -> (EmbeddedChannel, EmbeddedChannel, OpenSSLHandler) {
        let (cert, key) = try await Self.certificate(in: dir)
        let serverContext = try TLSContext(configuration: .server(certificateChainPath: cert, privateKeyPath: key), server: true)
        let clientContext = try TLSContext(configuration: TLSConfiguration(trustedCAPath: cert), server: false)
        let server = EmbeddedChannel(handler: try OpenSSLHandler(context: serverContext))
        let client = EmbeddedChannel()
        let clientHandler = try OpenSSLHandler(context: clientContext, serverHostname: "localhost")
        _ = try await server.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).get()
        _ = try await client.connect(to: .init(ipAddress: "127.0.0.1", port: 2)).get()
        try client.pipeline.syncOperations.addHandler(clientHandler)
        return (server, client, clientHandler)
    }

    /// Moves bytes between the two channels until neither has anything to send.
    static func interact(_ a: EmbeddedChannel, _ b: EmbeddedChannel) throws {
        var moved = true
        while moved {
            moved = false
            while let out = try a.readOutbound(as: ByteBuffer.self) {
                try b.writeInbound(out)
                moved = true
            }
            while let out = try b.readOutbound(as: ByteBuffer.self) {
                try a.writeInbound(out)
                moved = true
            }
        }
    }

    @Test func handshakeDataAndCloseNotify() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (server, client, clientHandler) = try await Self.connectedPair(in: dir)
        try Self.interact(client, server)
        #expect(clientHandler.state == .active)

        // Written before and after the handshake alike, delivered in order.
        try await client.writeAndFlush(ByteBuffer(string: "USER alice\r\n")).get()
        try Self.interact(client, server)
        var received = ""
        while let b = try server.readInbound(as: ByteBuffer.self) { received += String(buffer: b) }
        #expect(received == "USER alice\r\n")

        let big = String(repeating: "x", count: 100_000)
        try await server.writeAndFlush(ByteBuffer(string: big)).get()
        try Self.interact(client, server)
        var back = ""
        while let b = try client.readInbound(as: ByteBuffer.self) { back += String(buffer: b) }
        #expect(back == big)

        // close_notify reaches the server before the connection ends.
        client.close(promise: nil)
        try Self.interact(client, server)
        _ = try? server.finish()
        _ = try? client.finish()
    }

    /// The ciphertext arrives in pieces that split TLS headers and records anywhere (here: 1 to 7 bytes at a
    /// time, handshake included): OpenSSL reads what there is, waits for the rest, loses nothing.
    @Test func ciphertextInTinyPiecesStillDecrypts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (server, client, clientHandler) = try await Self.connectedPair(in: dir)

        var size = 0
        func trickle(_ from: EmbeddedChannel, _ to: EmbeddedChannel) throws -> Bool {
            var moved = false
            while var out = try from.readOutbound(as: ByteBuffer.self) {
                while out.readableBytes > 0 {
                    size = size % 7 + 1
                    try to.writeInbound(out.readSlice(length: min(size, out.readableBytes))!)
                    moved = true
                }
            }
            return moved
        }
        func settle() throws {
            while try trickle(client, server) || trickle(server, client) {}
        }
        try settle()
        #expect(clientHandler.state == .active)

        let payload = randomData(70_000)
        try await server.writeAndFlush(ByteBuffer(bytes: payload)).get()
        try settle()
        var back = Data()
        while let b = try client.readInbound(as: ByteBuffer.self) { back.append(contentsOf: b.readableBytesView) }
        #expect(back == payload)
        _ = try? server.finish()
        _ = try? client.finish()
    }

    /// A 1 MiB write leaves as full-size records (16 KiB of data each; TLS 1.3 adds the content type byte and a
    /// 16-byte tag) in one outgoing buffer, not a buffer per record; the session tickets sent after the handshake
    /// are drained first so only the write is counted.
    @Test func bigWritesMakeFullRecordsInOneBuffer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (server, client, _) = try await Self.connectedPair(in: dir)
        try Self.interact(client, server)
        try await client.writeAndFlush(ByteBuffer(string: "hello")).get()
        try Self.interact(client, server)
        while try server.readInbound(as: ByteBuffer.self) != nil {}

        let payload = randomData(1 << 20)
        try await server.writeAndFlush(ByteBuffer(bytes: payload)).get()
        var buffers: [ByteBuffer] = []
        while let out = try server.readOutbound(as: ByteBuffer.self) { buffers.append(out) }
        #expect(buffers.count == 1, "\(buffers.count) buffers for one write")
        var lengths: [Int] = []
        for var buffer in buffers {
            while buffer.readableBytes >= 5 {
                let type = buffer.readInteger(as: UInt8.self)!
                _ = buffer.readInteger(as: UInt16.self)
                let length = Int(buffer.readInteger(as: UInt16.self)!)
                #expect(type == 23, "application data records only")
                lengths.append(length)
                buffer.moveReaderIndex(forwardBy: length)
            }
            #expect(buffer.readableBytes == 0)
        }
        #expect(lengths.count == 64)
        #expect(lengths.allSatisfy { $0 == 16384 + 1 + 16 }, "\(Set(lengths))")

        for buffer in buffers { try client.writeInbound(buffer) }
        var back = Data()
        while let b = try client.readInbound(as: ByteBuffer.self) { back.append(contentsOf: b.readableBytesView) }
        #expect(back == payload)
        _ = try? server.finish()
        _ = try? client.finish()
    }

    @Test func ciphertextBuffersReadAcrossReceivedBuffers() {
        let buffers = CiphertextBuffers(sealingFor: nil)
        buffers.receive(ByteBuffer(string: "abc"))
        buffers.receive(ByteBuffer())
        buffers.receive(ByteBuffer(string: "defgh"))
        #expect(buffers.inboundBytes == 8)
        var target = [UInt8](repeating: 0, count: 5)
        #expect(target.withUnsafeMutableBytes { buffers.read(into: $0) } == 5)
        #expect(String(decoding: target, as: UTF8.self) == "abcde")
        #expect(buffers.inboundBytes == 3)
        #expect(target.withUnsafeMutableBytes { buffers.read(into: $0) } == 3)
        #expect(String(decoding: target.prefix(3), as: UTF8.self) == "fgh")
        #expect(target.withUnsafeMutableBytes { buffers.read(into: $0) } == 0)
        #expect(buffers.inboundBytes == 0)

        #expect(buffers.takeOutbound() == nil)
        buffers.reserveOutbound(100, allocator: ByteBufferAllocator())
        #expect("record".utf8.withContiguousStorageIfAvailable { buffers.write(UnsafeRawBufferPointer($0)) } == true)
        #expect(buffers.takeOutbound().map { String(buffer: $0) } == "record")
        #expect(buffers.takeOutbound() == nil)
    }

    @Test func untrustedOrWrongHostCertificatesAreRejected() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (cert, key) = try await Self.certificate(in: dir)
        let serverContext = try TLSContext(configuration: .server(certificateChainPath: cert, privateKeyPath: key), server: true)
        for (config, host) in [(TLSConfiguration(), "localhost"), (TLSConfiguration(trustedCAPath: cert), "example.org")] {
            let clientContext = try TLSContext(configuration: config, server: false)
            let server = EmbeddedChannel(handler: try OpenSSLHandler(context: serverContext))
            let client = EmbeddedChannel()
            _ = try await server.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).get()
            _ = try await client.connect(to: .init(ipAddress: "127.0.0.1", port: 2)).get()
            let handler = try OpenSSLHandler(context: clientContext, serverHostname: host)
            try client.pipeline.syncOperations.addHandler(handler)
            do {
                try Self.interact(client, server)
                Issue.record("the handshake succeeded with \(host)")
            } catch let error as TLSError {
                #expect(error.message.contains("certificate verify failed"), "\(error)")
            }
            #expect(handler.state == .closed)
            _ = try? server.finish()
            _ = try? client.finish()
        }
    }

    @Test func garbageInsteadOfAClientHelloFails() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (cert, key) = try await Self.certificate(in: dir)
        let serverContext = try TLSContext(configuration: .server(certificateChainPath: cert, privateKeyPath: key), server: true)
        let server = EmbeddedChannel(handler: try OpenSSLHandler(context: serverContext))
        _ = try await server.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).get()
        #expect(throws: TLSError.self) { try server.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")) }
        #expect(!server.isActive)
        _ = try? server.finish()
    }

    @Test func badKeyMaterialIsAClearError() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try "not a certificate".write(toFile: dir.path + "/bad.pem", atomically: true, encoding: .utf8)
        #expect(throws: TLSError.self) {
            _ = try TLSContext(configuration: .server(certificateChainPath: dir.path + "/bad.pem", privateKeyPath: dir.path + "/bad.pem"), server: true)
        }
        #expect(throws: TLSError.self) { _ = try TLSContext(configuration: TLSConfiguration(), server: true) }
    }
}
