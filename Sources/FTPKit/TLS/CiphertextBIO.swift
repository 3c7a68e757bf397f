#if OpenSSL
import COpenSSL
import NIOCore

/// The BIO method that connects OpenSSL to ``CiphertextBuffers``.
enum CiphertextBIO {
    /// A new BIO method (a table of C function pointers). Each ``TLSContext`` owns one and frees it with
    /// `BIO_meth_free` after its last connection: the handler frees its SSL, and with it the BIO, before it
    /// releases the context.
    static func makeMethod() throws(TLSError) -> OpaquePointer {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "seed-nio-buffers") else {
            throw TLSError("cannot create the TLS buffer BIO method: \(TLSContext.lastError())")
        }
        _ = BIO_meth_set_read(method) { bio, out, length in
            guard let bio, let out, length > 0, let buffers = CiphertextBIO.buffers(of: bio) else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            let n = buffers.read(into: UnsafeMutableRawBufferPointer(start: out, count: Int(length)))
            if n == 0 {
                // Nothing yet (not the end of the stream): ask OpenSSL to retry when more arrives.
                BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                return -1
            }
            return Int32(n)
        }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let bio, let data, length > 0, let buffers = CiphertextBIO.buffers(of: bio) else { return 0 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            guard buffers.write(UnsafeRawBufferPointer(start: data, count: Int(length))) else { return -1 }
            return length
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, argument, pointer in
            guard let bio else { return 0 }
            switch command {
            case SEED_BIO_CTRL_SET_KTLS:
                // Sending keys only (OpenSSL passes its SSL3_CC_WRITE bit, 2, for those and 0 for receiving keys,
                // which stay with OpenSSL). Declining keeps OpenSSL's own path.
                guard argument != 0, let pointer, let buffers = CiphertextBIO.buffers(of: bio),
                    let context = buffers.sealingContext,
                    let sealer = RecordSealer(cryptoInfo: pointer, secret: buffers.sendingSecret)
                else { return 0 }
                buffers.sealer = sealer
                buffers.sendingSecret = nil
                context.sealedConnections.add(1, ordering: .relaxed)
                return 1
            case SEED_BIO_CTRL_GET_KTLS_SEND: return CiphertextBIO.buffers(of: bio)?.sealer == nil ? 0 : 1
            case SEED_BIO_CTRL_GET_KTLS_RECV: return 0
            case SEED_BIO_CTRL_SET_KTLS_TX_SEND_CTRL_MSG:
                CiphertextBIO.buffers(of: bio)?.nextRecordType = UInt8(truncatingIfNeeded: argument)
                return 1
            case SEED_BIO_CTRL_CLEAR_KTLS_TX_CTRL_MSG:
                CiphertextBIO.buffers(of: bio)?.nextRecordType = nil
                return 1
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_PENDING: return CiphertextBIO.buffers(of: bio)?.inboundBytes ?? 0
            case BIO_CTRL_WPENDING: return 0
            case BIO_CTRL_GET_CLOSE, BIO_CTRL_SET_CLOSE: return 1
            default: return 0
            }
        }
        _ = BIO_meth_set_destroy(method) { bio in
            // The buffers belong to the handler; the BIO only borrowed them.
            if let bio { BIO_set_data(bio, nil) }
            return 1
        }
        return method
    }

    /// The buffers a BIO of this method carries.
    static func buffers(of bio: OpaquePointer) -> CiphertextBuffers? {
        BIO_get_data(bio).map { Unmanaged<CiphertextBuffers>.fromOpaque($0).takeUnretainedValue() }
    }

    /// A BIO over `buffers`, which must outlive it (the handler owns both and frees the SSL, and with it the BIO,
    /// first).
    static func make(over buffers: CiphertextBuffers, method: OpaquePointer) throws(TLSError) -> OpaquePointer {
        guard let bio = BIO_new(method) else {
            throw TLSError("cannot create the TLS buffer BIO: \(TLSContext.lastError())")
        }
        BIO_set_data(bio, Unmanaged.passUnretained(buffers).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }
}
#endif
