import Foundation
import NIOCore
import NIOHTTP1

/// A request as the emulator's HTTP side sees it.
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
    /// Send only this many bytes of the body, then stall (a fault).
    var stallAfterBytes: Int?

    static func json(_ value: EmulatorJSON, status: HTTPResponseStatus = .ok) -> EmulatorResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return EmulatorResponse(status: status, headers: headers, body: value.serialized())
    }

    /// Discord's error body: `{"code": …, "message": …}`.
    static func error(_ status: HTTPResponseStatus, code: Int, _ message: String) -> EmulatorResponse {
        .json(["code": .int(code), "message": .string(message)], status: status)
    }

    static let noContent = EmulatorResponse(status: .noContent)
}

/// One REST call as recorded for tests.
public struct RecordedRequest: Sendable, Hashable {
    /// The request's method.
    public var method: String
    /// The request's path.
    public var path: String
    /// The status answered.
    public var status: Int
}
