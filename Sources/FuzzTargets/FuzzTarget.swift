import DiscordKit
import FTPKit
import FileBot
import Foundation
import Logging
import NIOCore

/// The parsers that read what the network or an operator hands us, each as a function of arbitrary bytes, for
/// libFuzzer (`scripts/fuzz`) and for the regression suite that replays the committed corpus and every finding.
///
/// A target must never crash, hang or leak on any input; where a parser has a cheap invariant (what it accepts
/// it can print and read back the same), the target checks it too and traps when it fails, so the fuzzer
/// reports it like a crash.
package enum FuzzTarget: String, CaseIterable, Sendable {
    case command, reply, listing, hostPort = "host-port", proxy, gateway, zlib, multipart, usersFile = "users-file"
    case namePattern = "name-pattern", web, settings, message

    /// Runs one input.
    package func run(_ bytes: [UInt8]) {
        switch self {
        case .command: Self.command(bytes)
        case .reply: Self.reply(bytes)
        case .listing: Self.listing(bytes)
        case .hostPort: Self.hostPort(bytes)
        case .proxy: Self.proxy(bytes)
        case .gateway: Self.gateway(bytes)
        case .zlib: Self.zlib(bytes)
        case .multipart: Self.multipart(bytes)
        case .usersFile: Self.usersFile(bytes)
        case .namePattern: Self.namePattern(bytes)
        case .web: Self.web(bytes)
        case .settings: Self.settings(bytes)
        case .message: Self.message(bytes)
        }
    }

    /// Fails the run (a crash to libFuzzer, a failed test to the regression suite).
    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant failed: \(what())") }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The control-line parser: a parsed command prints back to a line that parses to the same command.
    static func command(_ bytes: [UInt8]) {
        guard case .success(let command) = FTPCommandParser.parse(bytes) else { return }
        let line = command.argument.isEmpty ? command.verb : command.verb + " " + command.argument
        guard case .success(let again) = FTPCommandParser.parse(Array(line.utf8)) else {
            return check(false, "\(command) printed as \(line) does not parse")
        }
        check(again == command, "\(command) read back as \(again)")
    }

    /// The reply parser, fed line by line as the client does (multi-line replies, garbage, huge lines).
    static func reply(_ bytes: [UInt8]) {
        var parser = FTPReplyParser()
        for line in text(bytes).split(separator: "\n", omittingEmptySubsequences: false) {
            guard let reply = try? parser.feed(String(line)) else { continue }
            check((100...599).contains(reply.code), "reply code \(reply.code)")
        }
    }

    /// LIST and MLSD lines (Unix, DOS, EPLF, facts).
    static func listing(_ bytes: [UInt8]) {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for line in text(bytes).split(separator: "\n") {
            if let entry = FTPListParser.parseList(String(line), now: now) { check(!entry.name.isEmpty, "empty name") }
            if let entry = FTPListParser.parseMachine(String(line)) { check(!entry.name.isEmpty, "empty name") }
        }
    }

    /// PORT and EPRT arguments, 227 and 229 replies: what parses is a valid address and port.
    static func hostPort(_ bytes: [UInt8]) {
        let s = text(bytes)
        for parsed in [FTPHostPort.parsePORT(s), FTPHostPort.parseEPRT(s), FTPHostPort.parsePASVReply(s)] {
            guard let parsed else { continue }
            check((0...65535).contains(parsed.port), "port \(parsed.port)")
        }
        if let port = FTPHostPort.parseEPSVReply(s) { check((0...65535).contains(port), "EPSV port \(port)") }
    }

    /// PROXY protocol v1 and v2 headers, whole and cut at every length a slow proxy could send.
    static func proxy(_ bytes: [UInt8]) {
        let whole = ProxyProtocolHeader.parse(bytes)
        if case .header(_, let length) = whole { check(length > 0 && length <= bytes.count, "header length \(length)") }
        for cut in stride(from: 0, to: min(bytes.count, 64), by: 7) {
            _ = ProxyProtocolHeader.parse(bytes.prefix(cut))
        }
    }

    /// Gateway payloads as the client decodes them: the envelope, then the data of every event it knows.
    static func gateway(_ bytes: [UInt8]) {
        let data = Data(bytes)
        guard let envelope = try? JSONDecoder().decode(GatewayEnvelope.self, from: data) else { return }
        _ = try? JSONDecoder().decode(GatewayData<HelloPayload>.self, from: data)
        _ = try? JSONDecoder().decode(GatewayData<GatewayEvent.Ready>.self, from: data)
        let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        for name in [envelope.t ?? "", "MESSAGE_CREATE", "INTERACTION_CREATE", "GUILD_CREATE", "GUILD_DELETE"] {
            _ = GatewayClient.decodeDispatch(name: name, data: data, logger: logger)
        }
    }

    /// `zlib-stream` frames: the input split into frames at its sync-flush markers, fed to one inflater, which
    /// must refuse corrupt data with an error and never inflate past its limit. The limit is 64 KiB, not the
    /// client's 64 MiB: the same checks, while a small bomb costs the fuzzer microseconds, not milliseconds.
    static func zlib(_ bytes: [UInt8]) {
        let limit = 1 << 16
        guard let inflater = try? ZlibStreamInflater(maxMessageSize: limit) else { return }
        var frame: [UInt8] = []
        for byte in bytes {
            frame.append(byte)
            if frame.count >= 4, frame.suffix(4).elementsEqual([0x00, 0x00, 0xFF, 0xFF]) {
                do {
                    if let message = try inflater.feed(frame) { check(message.count <= limit, "inflated \(message.count)") }
                } catch {
                    return
                }
                frame = []
            }
        }
        _ = try? inflater.feed(frame)
    }

    /// The web upload page's multipart bodies, fed in two pieces split where the first byte says: the events
    /// must not depend on where the network cut the body.
    static func multipart(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        func events(_ pieces: [ArraySlice<UInt8>]) -> [MultipartParser.Event]? {
            var parser = MultipartParser(boundary: "xyzzy")
            var out: [MultipartParser.Event] = []
            do {
                for piece in pieces { out += try parser.feed(ByteBuffer(bytes: piece)) }
                try parser.finish()
            } catch {
                return nil
            }
            return Self.merged(out)
        }
        let cut = body.isEmpty ? 0 : Int(first) % (body.count + 1)
        let whole = events([body[...]])
        let split = events([body[..<cut], body[cut...]])
        check(whole == split, "multipart events depend on the split at \(cut)")
        // A part's file name never carries the client's directories.
        for case .part(let headers) in whole ?? [] {
            guard let filename = MultipartParser.disposition(headers["content-disposition"] ?? "").filename else { continue }
            check(!filename.contains("/") && !filename.contains("\\"), "file name \(filename.debugDescription) keeps a separator")
        }
        // The disposition header alone, as arbitrary text.
        if let filename = MultipartParser.disposition(Self.text(body)).filename {
            check(!filename.contains("/") && !filename.contains("\\"), "file name \(filename.debugDescription) keeps a separator")
        }
    }

    /// Data events joined (the parser may hand one part's data over in any number of pieces).
    static func merged(_ events: [MultipartParser.Event]) -> [MultipartParser.Event] {
        var out: [MultipartParser.Event] = []
        for event in events {
            if case .data(var more) = event, case .data(var last)? = out.last {
                last.writeBuffer(&more)
                out[out.count - 1] = .data(last)
            } else if case .data(let d) = event, d.readableBytes == 0 {
                continue
            } else {
                out.append(event)
            }
        }
        return out
    }

    /// The users file: whatever it holds, it is read or refused with a message, and what is read writes back to a
    /// file that reads the same.
    static func usersFile(_ bytes: [UInt8]) {
        guard let file = try? UsersFile(data: Data(bytes), source: "fuzz") else { return }
        for entry in file.entries {
            _ = entry.addressPolicy
            _ = entry.quota
            _ = entry.bandwidth
        }
    }
}
