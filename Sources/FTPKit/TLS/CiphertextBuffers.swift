#if OpenSSL
import Crypto
import NIOCore

/// The ciphertext side of a TLS connection, as NIO buffers that OpenSSL reads and writes through a custom BIO.
///
/// With OpenSSL's memory BIOs every byte was copied twice more than needed: received buffers into the BIO and
/// out again into OpenSSL, and records out of OpenSSL into the BIO and out again into a buffer for the socket.
/// Here OpenSSL reads straight from the received buffers and writes its records straight into the outgoing one.
///
/// Only touched on the channel's event loop, from the handler and from OpenSSL calls the handler makes.
final class CiphertextBuffers {
    /// Set when the BIO may take the sending keys over from OpenSSL (``RecordSealer``): the context that counts it.
    let sealingContext: TLSContext?
    /// Received from the network, not yet consumed by OpenSSL.
    private var inbound = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    /// Bytes in `inbound`.
    private(set) var inboundBytes = 0
    /// Records OpenSSL produced, not yet handed to the channel.
    private var outbound = ByteBuffer()
    /// Set once OpenSSL handed over the application write keys: from then on writes are plaintext and sealed here.
    var sealer: RecordSealer?
    /// This side's application traffic secret, from OpenSSL's key log (``TrafficSecretLog``), until the sealer
    /// takes it.
    var sendingSecret: SymmetricKey?
    /// The content type of the next plaintext write when it is not application data (an alert, a handshake
    /// message), as OpenSSL announces it.
    var nextRecordType: UInt8?

    init(sealingFor context: TLSContext?) { self.sealingContext = context }

    /// Queues bytes from the network for OpenSSL.
    func receive(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        self.inboundBytes += buffer.readableBytes
        self.inbound.append(buffer)
    }

    /// Makes room for `bytes` more of output, so a large write's records land in one buffer without regrowing it.
    func reserveOutbound(_ bytes: Int, allocator: ByteBufferAllocator) {
        if self.outbound.readableBytes == 0 {
            if self.outbound.capacity < bytes { self.outbound = allocator.buffer(capacity: bytes) }
        } else {
            self.outbound.reserveCapacity(minimumWritableBytes: bytes)
        }
    }

    /// The records produced so far, if any; the next ones go into a new buffer (the channel owns this one).
    func takeOutbound() -> ByteBuffer? {
        guard self.outbound.readableBytes > 0 else { return nil }
        let out = self.outbound
        self.outbound = ByteBuffer()
        return out
    }

    /// OpenSSL's read: copies up to `target.count` received bytes; 0 when there are none.
    func read(into target: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < target.count, var first = self.inbound.first {
            let n = min(first.readableBytes, target.count - copied)
            first.withUnsafeReadableBytes { raw in
                UnsafeMutableRawBufferPointer(rebasing: target[copied..<(copied + n)]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            }
            first.moveReaderIndex(forwardBy: n)
            copied += n
            if first.readableBytes == 0 {
                self.inbound.removeFirst()
            } else {
                self.inbound[self.inbound.startIndex] = first
            }
        }
        self.inboundBytes -= copied
        return copied
    }

    /// OpenSSL's write: appends its records, or seals its plaintext into records once ``sealer`` is set. False
    /// when sealing failed (nothing of the write is appended).
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let sealer = self.sealer else {
            self.outbound.writeBytes(bytes)
            return true
        }
        let type = self.nextRecordType ?? 23
        self.nextRecordType = nil
        let mark = self.outbound.writerIndex
        guard sealer.seal(type: type, bytes, into: &self.outbound) else {
            self.outbound.moveWriterIndex(to: mark)
            return false
        }
        return true
    }
}
#endif
