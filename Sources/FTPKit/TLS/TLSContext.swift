import COpenSSL

/// An OpenSSL `SSL_CTX` built from a ``TLSConfiguration``. One context serves every connection of a server (and
/// every data connection of a control session, so their TLS sessions can be resumed).
public final class TLSContext: @unchecked Sendable {
    // Unchecked sendability is safe here: both stored properties are `let`; the SSL_CTX is fully configured in
    // `init` before `self` can be shared, and afterwards only SSL_new (creating connections) and the built-in
    // session cache touch it — OpenSSL documents SSL_CTX as safe to share between threads for these once set up
    // (its session cache takes its own lock). No method of this class mutates the context after `init`.
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    let isServer: Bool

    public init(configuration: TLSConfiguration, server: Bool) throws(TLSError) {
        guard let ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError("OpenSSL could not create a TLS context: \(Self.lastError())")
        }
        self.context = ctx
        self.configuration = configuration
        self.isServer = server
        let version = configuration.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard seed_SSL_CTX_set_min_proto_version(ctx, version) == 1 else { throw TLSError("cannot set the TLS version") }
        if let ciphers = configuration.cipherList, SSL_CTX_set_cipher_list(ctx, ciphers) != 1 {
            throw TLSError("invalid cipher list '\(ciphers)': \(Self.lastError())")
        }
        if let chain = configuration.certificateChainPath {
            guard SSL_CTX_use_certificate_chain_file(ctx, chain) == 1 else {
                throw TLSError("cannot load the certificate chain \(chain): \(Self.lastError())")
            }
        }
        if let key = configuration.privateKeyPath {
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError("cannot load the private key \(key): \(Self.lastError())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TLSError("the private key does not match the certificate: \(Self.lastError())")
            }
        }
        if server, configuration.certificateChainPath == nil {
            throw TLSError("a TLS server needs a certificate and a private key")
        }
        if !server, configuration.verification != .none {
            if let ca = configuration.trustedCAPath {
                guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else {
                    throw TLSError("cannot load trusted CAs from \(ca): \(Self.lastError())")
                }
            } else {
                SSL_CTX_set_default_verify_paths(ctx)
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        // Sessions are cached so data connections can resume the control connection's session (FTPS servers
        // such as vsftpd require it).
        let context = Array("seed-ftps".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, context, UInt32(context.count))
        _ = seed_SSL_CTX_set_session_cache_mode(ctx, Int(server ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_CLIENT))
    }

    deinit { SSL_CTX_free(self.context) }

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
