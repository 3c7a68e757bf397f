#if OpenSSL
import COpenSSL
import Crypto

/// OpenSSL's key-log callback, used to keep a sealing connection's own application traffic secret (never written
/// anywhere: it stays with the connection, as OpenSSL's own copy does). ``RecordSealer`` needs it to follow a key
/// update, whose keys OpenSSL 3.0 derives without handing them to the BIO.
///
/// OpenSSL reports each secret as a line in the NSS key log format: `LABEL <client random, hex> <secret, hex>`. The
/// one wanted is this side's sending secret: `SERVER_TRAFFIC_SECRET_0` on a server, `CLIENT_TRAFFIC_SECRET_0` on
/// a client. Connections that do not seal (control connections, sealing turned off) ignore every line.
enum TrafficSecretLog {
    /// Installs the callback on a context whose connections may seal.
    static func install(on context: OpaquePointer) {
        SSL_CTX_set_keylog_callback(context) { ssl, line in
            guard let ssl, let line, let bio = SSL_get_wbio(ssl), let buffers = CiphertextBIO.buffers(of: bio),
                buffers.sealingContext != nil
            else { return }
            let label = SSL_is_server(ssl) == 1 ? "SERVER_TRAFFIC_SECRET_0 " : "CLIENT_TRAFFIC_SECRET_0 "
            if let secret = TrafficSecretLog.secret(in: line, labelled: label) { buffers.sendingSecret = secret }
        }
    }

    /// The secret of a key-log line with this label (its last field, decoded from hex), or nil. Decoded into a
    /// buffer that is wiped afterwards, so no copy of the secret outlives the key that holds it.
    static func secret(in line: UnsafePointer<CChar>, labelled label: String) -> SymmetricKey? {
        let length = strlen(line)
        let bytes = UnsafeRawBufferPointer(start: line, count: length)
        guard bytes.starts(with: label.utf8), let space = bytes.lastIndex(of: UInt8(ascii: " ")) else { return nil }
        let hex = bytes[(space + 1)...]
        guard hex.count % 2 == 0, (32...96).contains(hex.count / 2) else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: hex.count / 2) { out in
            defer { OPENSSL_cleanse(out.baseAddress, out.count) }
            var index = hex.startIndex
            for i in 0..<out.count {
                guard let high = Self.nibble(hex[index]), let low = Self.nibble(hex[index + 1]) else { return nil }
                out[i] = high << 4 | low
                index += 2
            }
            return SymmetricKey(data: UnsafeRawBufferPointer(out))
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
#endif
