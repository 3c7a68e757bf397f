import Foundation
import NIOCore

/// `multipart/form-data` as Discord takes it: `payload_json` first, then `files[n]`. The parts' headers are
/// built up front (so the total length is known when every file's size is), the files are streamed.
struct MultipartBody: Sendable {
    let boundary: String
    let payloadJSON: Data
    let files: [FileUpload]

    init(payloadJSON: Data, files: [FileUpload], boundary: String = "seed-" + UUID().uuidString) {
        self.boundary = boundary
        self.payloadJSON = payloadJSON
        self.files = files
    }

    var contentType: String { "multipart/form-data; boundary=\(self.boundary)" }

    fileprivate var payloadPart: ByteBuffer {
        var b = ByteBuffer()
        b.writeString("--\(self.boundary)\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n")
        b.writeString("Content-Type: application/json\r\n\r\n")
        b.writeBytes(self.payloadJSON)
        b.writeString("\r\n")
        return b
    }

    fileprivate func fileHeader(_ index: Int) -> ByteBuffer {
        let file = self.files[index]
        var b = ByteBuffer()
        b.writeString("--\(self.boundary)\r\n")
        b.writeString(
            "Content-Disposition: form-data; name=\"files[\(index)]\"; filename=\"\(Self.quoted(file.filename))\"\r\n")
        b.writeString("Content-Type: \(file.contentType)\r\n\r\n")
        return b
    }

    fileprivate var closing: ByteBuffer { ByteBuffer(string: "--\(self.boundary)--\r\n") }

    /// Quotes a file name for a header: no CR/LF or quote can end the header early.
    static func quoted(_ name: String) -> String {
        // By scalar: "\r\n" is one Character in Swift and would slip past a per-Character check.
        var out = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\"": out.append("'")
            case "\r", "\n", "\\": out.append("_")
            default: out.append(scalar.properties.generalCategory == .control ? "_" : scalar)
            }
        }
        return String(out)
    }

    var length: Int64? {
        var total = Int64(self.payloadPart.readableBytes + self.closing.readableBytes)
        for index in self.files.indices {
            guard let size = self.files[index].size else { return nil }
            total += Int64(self.fileHeader(index).readableBytes) + size + 2
        }
        return total
    }

    var reopenable: Bool { self.files.allSatisfy(\.reopenable) }

    /// The body as a pull-driven stream: the next file chunk is read only when the HTTP client asks for it.
    /// With `watch`, the time between handing a piece over and being asked for the next is a wait on Discord (the
    /// client asks again once the socket takes more); the time spent reading the file is not.
    func stream(watch: PeerWaitWatch? = nil) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let cursor = MultipartCursor(body: self)
        return AsyncThrowingStream(unfolding: {
            watch?.waitEnded()
            let piece = try await cursor.next()
            watch?.waitStarted()
            return piece
        })
    }

}

private actor MultipartCursor {
    // Order: payload_json, then per file its header, its bytes and a CRLF, then the closing boundary.
    private enum State {
        case payload
        case fileHeader(Int)
        case fileBody(Int, AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator, remaining: Int64?)
        case closing
        case done
    }

    private let body: MultipartBody
    private var state = State.payload

    init(body: MultipartBody) { self.body = body }

    func next() async throws -> ByteBuffer? {
        while true {
            switch self.state {
            case .payload:
                self.state = self.body.files.isEmpty ? .closing : .fileHeader(0)
                return self.body.payloadPart
            case .fileHeader(let i):
                let stream = try await self.body.files[i].open()
                self.state = .fileBody(i, stream.makeAsyncIterator(), remaining: self.body.files[i].size)
                return self.body.fileHeader(i)
            case .fileBody(let i, var iterator, let remaining):
                if let chunk = try await iterator.next(isolation: self) {
                    var left = remaining
                    if let r = left {
                        left = r - Int64(chunk.readableBytes)
                        // A file that grew while being sent would corrupt the request: stop at its declared size.
                        if left! < 0 {
                            throw DiscordRESTError.unreadableFile(
                                path: self.body.files[i].filename, reason: "the file changed size while being sent")
                        }
                    }
                    self.state = .fileBody(i, iterator, remaining: left)
                    return chunk
                }
                if let r = remaining, r != 0 {
                    throw DiscordRESTError.unreadableFile(
                        path: self.body.files[i].filename, reason: "the file changed size while being sent")
                }
                self.state = i + 1 < self.body.files.count ? .fileHeader(i + 1) : .closing
                return ByteBuffer(string: "\r\n")
            case .closing:
                self.state = .done
                return self.body.closing
            case .done:
                return nil
            }
        }
    }
}
