import Foundation
import NIOCore
import NIOHTTP1

/// A request as the emulator's REST side sees it.
struct EmulatorRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: Data
}

/// A response to write back.
struct EmulatorResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders = HTTPHeaders()
    var body: Data = Data()
    /// Send the body at this many bytes per second (the CDN's throttle).
    var bytesPerSecond: Int?

    static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) -> EmulatorResponse {
        let data = WireFormat.data(value)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return EmulatorResponse(status: status, headers: headers, body: data)
    }

    /// Discord's error body: `{"code": …, "message": …}`.
    static func error(_ status: HTTPResponseStatus, code: Int, _ message: String) -> EmulatorResponse {
        struct Body: Encodable {
            var code: Int
            var message: String
        }
        return .json(Body(code: code, message: message), status: status)
    }

    static let noContent = EmulatorResponse(status: .noContent)
}

/// One REST call as recorded for tests.
public struct RecordedRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    public var status: Int
}
