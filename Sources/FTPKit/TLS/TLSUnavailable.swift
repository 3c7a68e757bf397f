#if !OpenSSL
import NIOCore

// FTPKit built without its `OpenSSL` trait: plain FTP only. Every way into TLS starts at `TLSContext.init`, which
// fails here with an error that says so, and the TLS handler cannot be made without a context: the types below
// only keep the public API and the plain-FTP code that mentions them compiling, with the same names and shapes
// as in a build with OpenSSL.

extension TLSError {
    static let unavailable = TLSError(
        "FTPS is not available: FTPKit was built without its OpenSSL trait (rebuild with the default traits and libssl-dev)")
}

/// Unavailable in this build: ``init(configuration:server:)`` always throws ``TLSError``.
public final class TLSContext: Sendable {
    /// The settings this context would have been made from.
    public let configuration: TLSConfiguration
    let sessions = SessionCache()

    /// Always throws: this build has no OpenSSL.
    public init(configuration: TLSConfiguration, server: Bool) throws(TLSError) {
        throw .unavailable
    }

    final class SessionCache: Sendable {
        func take() -> TLSSession? { nil }
    }
}

/// Unavailable in this build (sessions come from TLS connections, which cannot be made).
public final class TLSSession: Sendable {
    private init() {}
}

/// Cannot be created in this build (there is no ``TLSContext`` to pass it, and it refuses anyway).
final class OpenSSLHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let handshakeDone: EventLoopFuture<Bool>? = nil
    let ticketReceived: EventLoopFuture<Void>? = nil
    let currentSession: TLSSession? = nil

    init(
        context: TLSContext, serverHostname: String? = nil, resuming session: TLSSession? = nil,
        dataConnection: Bool = false
    ) throws(TLSError) {
        throw .unavailable
    }

    func requestTicket() {}
}

extension SelfSignedCertificate {
    /// Unavailable in this build: always throws ``TLSError``.
    public static func generate(names: [String], days: Int = 365) throws(TLSError) -> SelfSignedCertificate {
        throw .unavailable
    }

    /// The certificate's SHA-256 (DER), colon-separated upper-case hex, as `openssl x509 -fingerprint` prints it;
    /// empty when the PEM holds no certificate.
    public var fingerprintSHA256: String { CertificateFingerprint.sha256(pem: self.certificatePEM) }
}
#endif
