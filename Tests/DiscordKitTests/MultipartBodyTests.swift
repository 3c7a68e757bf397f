import Foundation
import NIOCore
import Testing
import SeedTestSupport

@testable import DiscordKit

@Suite(.tags(.unit), .inTestSet(.unit)) struct MultipartBodyTests {
    @Test func encodesPayloadJSONThenFilesWithTheirExactLength() async throws {
        let files = [
            FileUpload.bytes(ByteBuffer(string: "first file"), filename: "a \"quoted\"\r\nname.txt", contentType: "text/plain"),
            FileUpload.bytes(ByteBuffer(bytes: [0, 1, 2, 255]), filename: "b.bin"),
        ]
        let body = MultipartBody(payloadJSON: Data(#"{"content":"hi"}"#.utf8), files: files, boundary: "XYZ")
        var bytes: [UInt8] = []
        for try await chunk in body.stream() { bytes += chunk.readableBytesView }
        #expect(Int64(bytes.count) == body.length)
        let text = String(decoding: bytes, as: UTF8.self)
        let expected = "--XYZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\nContent-Type: application/json\r\n\r\n"
            + #"{"content":"hi"}"# + "\r\n--XYZ\r\n"
            + "Content-Disposition: form-data; name=\"files[0]\"; filename=\"a 'quoted'__name.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\nfirst file\r\n--XYZ\r\n"
            + "Content-Disposition: form-data; name=\"files[1]\"; filename=\"b.bin\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
        #expect(text.hasPrefix(expected))
        #expect(Array(bytes.suffix(4 + 2 + 9)) == [0, 1, 2, 255] + Array("\r\n--XYZ--\r\n".utf8))
        #expect(body.contentType == "multipart/form-data; boundary=XYZ")
    }

    @Test func aStreamOfUnknownSizeHasNoLengthAndAFileThatGrowsIsAnError() async throws {
        let stream = AsyncStream<ByteBuffer> { c in
            c.yield(ByteBuffer(string: "abc"))
            c.finish()
        }
        #expect(MultipartBody(payloadJSON: Data("{}".utf8), files: [.stream(stream, size: nil, filename: "s")]).length == nil)
        let liar = AsyncStream<ByteBuffer> { c in
            c.yield(ByteBuffer(string: "more than declared"))
            c.finish()
        }
        let body = MultipartBody(payloadJSON: Data("{}".utf8), files: [.stream(liar, size: 4, filename: "l")])
        await #expect(throws: DiscordRESTError.self) {
            for try await _ in body.stream() {}
        }
    }
}
