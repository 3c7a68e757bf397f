#if OpenSSL
import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL `SSL_CTX` built from a ``TLSConfiguration``. One context serves every connection of a server (and
/// every data connection of a control session, so their TLS sessions can be resumed).
public final class TLSContext: @unchecked Sendable {
    // Unchecked sendability is safe here: every stored property is a `let`; the SSL_CTX is fully configured in
    // `init` before `self` can be shared, and afterwards only SSL_new (creating connections) and the built-in
    // session cache touch it — OpenSSL documents SSL_CTX as safe to share between threads for these once set up
    // (its session cache takes its own lock). The new-session callback, which may run on any connection's
    // thread, only touches `sessions`, a Mutex-protected Sendable cache. No method mutates the context after
    // `init`. The BIO method is likewise complete before `init` returns and only read by OpenSSL afterwards.
    let context: OpaquePointer
    /// The method of every connection's ciphertext BIO (``CiphertextBIO``), freed with this context.
    let bioMethod: OpaquePointer
    /// The settings this context was made from.
    public let configuration: TLSConfiguration
    let isServer: Bool
    /// Connections whose records ``RecordSealer`` sealed (OpenSSL handed it the sending keys).
    let sealedConnections = Atomic<Int>(0)

    /// Loads certificates, keys and trust as `configuration` says, for a server (`server: true`) or a client. Throws
    /// with OpenSSL's reason when a file cannot be read, the key does not match the certificate, or a setting is invalid.
    public init(configuration: TLSConfiguration, server: Bool) throws(TLSError) {
        guard let ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError("OpenSSL could not create a TLS context: \(Self.lastError())")
        }
        do {
            self.bioMethod = try CiphertextBIO.makeMethod()
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        self.context = ctx
        self.configuration = configuration
        self.isServer = server
        let version = configuration.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard seed_SSL_CTX_set_min_proto_version(ctx, version) == 1 else { throw TLSError("cannot set the TLS version") }
        if server {
            // AES-128-GCM first unless configured otherwise, chosen by the server: as safe in practice as
            // AES-256 and cheaper (fewer rounds), which matters for file transfers on both ends (Go's crypto/tls
            // makes the same choice).
            _ = SSL_CTX_set_options(ctx, seed_SSL_OP_CIPHER_SERVER_PREFERENCE())
        }
        let suites = configuration.cipherSuites
            ?? (server ? "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384" : nil)
        if let suites {
            guard Self.validCipherSuites(suites) else {
                throw TLSError("invalid TLS 1.3 cipher suites '\(suites)': give one or more of "
                    + Self.tls13Suites.sorted().joined(separator: ", ") + ", separated by ':'")
            }
            guard SSL_CTX_set_ciphersuites(ctx, suites) == 1 else {
                throw TLSError("invalid TLS 1.3 cipher suites '\(suites)': \(Self.lastError())")
            }
        }
        if let ciphers = configuration.cipherList, SSL_CTX_set_cipher_list(ctx, ciphers) != 1 {
            throw TLSError("invalid cipher list '\(ciphers)': \(Self.lastError())")
        }
        if let groups = configuration.groups, seed_SSL_CTX_set1_groups_list(ctx, groups) != 1 {
            throw TLSError("invalid key exchange groups '\(groups)': \(Self.lastError(or: "a name OpenSSL does not know"))")
        }
        if let chain = configuration.certificateChainPath {
            guard SSL_CTX_use_certificate_chain_file(ctx, chain) == 1 else {
                throw TLSError("cannot load the certificate chain \(chain): \(Self.loadProblem(chain, expecting: "PEM certificate chain"))")
            }
        }
        if let key = configuration.privateKeyPath {
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError("cannot load the private key \(key): \(Self.loadProblem(key, expecting: "PEM private key"))")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TLSError("the private key \(key) does not belong to the certificate \(configuration.certificateChainPath ?? "")")
            }
        }
        if server, configuration.certificateChainPath == nil {
            throw TLSError("a TLS server needs a certificate and a private key")
        }
        if !server, configuration.verification != .none, configuration.pinnedCertificateSHA256 == nil {
            if let ca = configuration.trustedCAPath {
                guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                    throw TLSError("cannot load trusted CAs from \(ca): \(Self.loadProblem(ca, expecting: "PEM CA bundle"))")
                }
            } else {
                SSL_CTX_set_default_verify_paths(ctx)
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        if !configuration.applicationProtocols.isEmpty {
            // Wire format: each name preceded by its length.
            var wire: [UInt8] = []
            for name in configuration.applicationProtocols where !name.isEmpty && name.utf8.count < 256 {
                wire.append(UInt8(name.utf8.count))
                wire.append(contentsOf: name.utf8)
            }
            if server {
                // Only `ftp` is accepted; a client that offers ALPN without it (an HTTPS client tricked into
                // talking to us) fails the handshake. Clients that send no ALPN at all are accepted.
                SSL_CTX_set_alpn_select_cb(ctx, seedSelectFTPProtocol, nil)
            } else if SSL_CTX_set_alpn_protos(ctx, wire, UInt32(wire.count)) != 0 {
                throw TLSError("cannot set the application protocols: \(Self.lastError())")
            }
        }
        if configuration.sealsDataRecords, seed_record_sealing_available() == 1 {
            // Data connections that seal their records keep their sending secret, to follow key updates.
            TrafficSecretLog.install(on: ctx)
        }
        // Sessions are cached so data connections can resume the control connection's session (FTPS servers
        // such as vsftpd require it).
        let context = Array("seed-ftps".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, context, UInt32(context.count))
        _ = seed_SSL_CTX_set_session_cache_mode(ctx, Int(server ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_CLIENT))
        if !server {
            // Every session ticket any connection of this context receives is kept as the newest: TLS 1.3
            // tickets are good for one resumption, so each data connection must resume with a fresh one (curl
            // does the same). The cache outlives the SSL_CTX's use of it: both belong to this object.
            SSL_CTX_set_ex_data(ctx, 0, Unmanaged.passUnretained(self.sessions).toOpaque())
            SSL_CTX_sess_set_new_cb(ctx, seedKeepNewestSession)
        }
    }

    deinit {
        SSL_CTX_free(self.context)
        BIO_meth_free(self.bioMethod)
    }

    /// Clients: the newest resumable session received (from the control or a data connection).
    let sessions = SessionCache()

    /// Unused sessions client connections received, newest last, for the next connections to resume. Servers
    /// send two tickets after a full handshake and one after each resumption; keeping a few covers a data
    /// connection that closed before its ticket arrived.
    final class SessionCache: Sendable {
        private let sessions = Mutex<[TLSSession]>([])
        func store(_ session: TLSSession) {
            self.sessions.withLock {
                $0.append(session)
                if $0.count > 8 { $0.removeFirst($0.count - 8) }
            }
        }
        /// Takes the newest session: TLS 1.3 tickets are good for one resumption.
        func take() -> TLSSession? { self.sessions.withLock { $0.popLast() } }
    }

    /// The TLS 1.3 suites RFC 8446 defines. OpenSSL skips names it does not know when others in the list are
    /// valid (a typo would silently drop a suite) and takes an empty list as "no TLS 1.3": both are refused here.
    static let tls13Suites: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256",
    ]

    static func validCipherSuites(_ list: String) -> Bool {
        let names = list.split(separator: ":", omittingEmptySubsequences: false)
        return !list.isEmpty && names.allSatisfy { Self.tls13Suites.contains(String($0)) }
    }

    /// OpenSSL's queued errors, or `fallback` when it queued none.
    static func lastError(or fallback: String) -> String {
        ERR_peek_error() == 0 ? fallback : Self.lastError()
    }

    /// Why OpenSSL could not load the file at `path`, in words an operator can act on: the system's when the file
    /// cannot be opened, else OpenSSL's reasons alone ("no start line" said plainly), not its codes and library
    /// names (`error:0480006C:PEM routines::no start line`). Clears OpenSSL's error queue.
    static func loadProblem(_ path: String, expecting what: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let failure = errno
            ERR_clear_error()
            return String(cString: strerror(failure))
        }
        close(fd)
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            // "PEM lib", "system lib": a layer's name, not a reason.
            guard let reason = ERR_reason_error_string(code).map({ String(cString: $0) }), !reason.hasSuffix(" lib")
            else { continue }
            let said = switch reason {
            case "no start line": "it is not PEM (no '-----BEGIN' line)"
            case "key values mismatch": "it does not belong to the certificate"
            case "bad end line": "it is cut short or damaged (bad end line)"
            default: "it is not a usable \(what) (\(reason))"
            }
            if !reasons.contains(said) { reasons.append(said) }
        }
        return reasons.isEmpty ? "OpenSSL could not read it" : reasons.joined(separator: "; ")
    }

    static func lastError() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return messages.isEmpty ? "unknown OpenSSL error" : messages.joined(separator: "; ")
    }
}

/// The ALPN choice of an FTPS server: `ftp` or nothing (a fatal alert).
private func seedSelectFTPProtocol(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outlen: UnsafeMutablePointer<UInt8>?, _ input: UnsafePointer<UInt8>?, _ inlen: UInt32,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let input, let out, let outlen else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    var i = 0
    while i < Int(inlen) {
        let length = Int(input[i])
        let start = i + 1
        if start + length <= Int(inlen), length == 3, input[start] == 0x66, input[start + 1] == 0x74, input[start + 2] == 0x70 {
            out.pointee = input + start
            outlen.pointee = 3
            return SSL_TLSEXT_ERR_OK
        }
        i = start + length
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL
}

/// A TLS session a client keeps to resume on its data connections (FTPS servers such as vsftpd require the data
/// connection to resume the control connection's session).
public final class TLSSession: @unchecked Sendable {
    // Unchecked sendability is safe: the pointer is set once in `init` and never changed; OpenSSL reference-counts
    // SSL_SESSION atomically and treats an established session as read-only when SSL_set_session shares it
    // between connections, which is what it is used for here.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { SSL_SESSION_free(self.pointer) }
}

/// OpenSSL's new-session callback for clients: hands the session to the context's cache (returning 1 keeps the
/// reference OpenSSL passed in, released when the cache drops it).
private func seedKeepNewestSession(_ ssl: OpaquePointer?, _ session: OpaquePointer?) -> Int32 {
    guard let ssl, let session, SSL_SESSION_is_resumable(session) == 1,
        let raw = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0)
    else { return 0 }
    Unmanaged<TLSContext.SessionCache>.fromOpaque(raw).takeUnretainedValue().store(TLSSession(taking: session))
    return 1
}
#endif
