import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Carries out one ``FTPTransfer``: opens the storage side, obtains the data connection, moves the bytes with
/// backpressure (or `sendfile(2)` for plain binary downloads of local files) and reports how it ended.
struct FTPTransferRunner: Sendable {
    typealias DataChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    let transfer: FTPTransfer
    let storage: any FTPStorage
    let group: any EventLoopGroup
    let listener: PassiveListener?
    let control: TransferControl
    /// The control connection: an upload is committed only while it is still open.
    let controlChannel: any Channel
    let timeout: Duration
    let permissions: FTPPermissions
    let logger: Logger
    /// Set for PROT P transfers.
    var tls: TLSContext? = nil
    var requireSessionReuse = true
    /// Uploads over TLS are stored only when the client's close_notify ended them
    /// (``FTPServerConfiguration/requireTLSCloseNotify``).
    var requireCloseNotify = true
    /// The rates this transfer draws on (the server's and its user's), if any are limited.
    var pacer: BandwidthPacer? = nil
    /// Computes the SHA-256 of the bytes moved (``FTPServerConfiguration/auditDigests``).
    var digest = false
    /// Sizes an upload's reads by how many uploads the server is running.
    var receiveBudget: TransferBufferBudget? = nil
    /// Sizes the file reads of a download that passes through memory by how many such downloads the server is running.
    var readBudget: TransferBufferBudget? = nil

    /// How a transfer ended, and the SHA-256 of its bytes when ``digest`` was asked for and it completed.
    struct Outcome: Sendable {
        var result: FTPTransferResult
        var sha256: String? = nil
    }

    /// The outcome, plus the stored name for STOU and the digest.
    func run(starting: @escaping @Sendable () -> Void) async -> Outcome {
        let progress = Progress()
        let result = await self.transferring(progress: progress, starting: starting)
        guard case .completed = result else { return Outcome(result: result) }
        return Outcome(result: result, sha256: progress.sha256)
    }

    private func transferring(progress: Progress, starting: @escaping @Sendable () -> Void) async -> FTPTransferResult {
        // 1. The storage side first, so a missing file is answered with 550 before any data connection.
        let prepared: Prepared
        do {
            prepared = try await self.prepare()
        } catch let error as FTPStorageError {
            return .storageFailed(error)
        } catch {
            return .storageFailed(FTPStorageError(.io, "\(error)"))
        }

        // 2. The data connection.
        let channel: DataChannel
        let tlsHandshake: EventLoopFuture<Bool>?
        do {
            // In a task of its own so ABOR or the control connection closing can cancel the wait; on the listener's
            // event loop, where the accepted connection is handed over (on the cooperative pool it cost two more
            // thread wake-ups per transfer).
            let loop = self.listener?.eventLoop ?? self.group.next()
            let waiting = Task(executorPreference: EventLoopTaskExecutor(loop)) { try await self.dataChannel() }
            self.control.waiting { waiting.cancel() }
            let accepted = try await withTaskCancellationHandler { try await waiting.value } onCancel: { waiting.cancel() }
            (channel, tlsHandshake) = (accepted.channel, accepted.tlsHandshake)
        } catch {
            await prepared.discard()
            return self.control.isAborted ? .aborted(bytes: 0) : .dataConnectionFailed(self.describe(error))
        }
        self.control.attach(channel.channel)
        // The preliminary reply goes first: clients such as ftplib start the data connection's TLS only after it.
        starting()
        if self.tls != nil {
            // The data connection's TLS must be up (and, by default, resume the control session) before data moves.
            do {
                let loop = channel.channel.eventLoop
                let resumed = try await Self.withTimeout(self.timeout, on: loop) {
                    tlsHandshake ?? loop.makeFailedFuture(TLSError("no TLS handler on the data connection"))
                }
                if self.requireSessionReuse && !resumed {
                    await prepared.discard()
                    try? await channel.executeThenClose { _, _ in }
                    return .securityFailure("session reuse required")
                }
            } catch {
                await prepared.discard()
                try? await channel.executeThenClose { _, _ in }
                return .securityFailure("\(error)")
            }
        }

        // 3. The bytes, watched for stalls by a timer on the data connection's event loop: a sleeping task beside
        //    the transfer cost a libdispatch timer per transfer and wake-ups of its thread (Docs/benchmarks.md).
        let lastSeen = Mutex<UInt64>(.max)
        let timeout = TimeAmount(self.timeout)
        let watchdog = channel.channel.eventLoop.scheduleRepeatedTask(initialDelay: timeout, delay: timeout) { task in
            let now = progress.bytes
            let stalled = lastSeen.withLock { last in
                defer { last = now }
                return last == now
            }
            guard stalled else { return }
            task.cancel()
            self.logger.notice("data connection stalled; aborting", metadata: ["bytes": "\(now)"])
            progress.markStalled()
            channel.channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        return await self.move(prepared, over: channel, progress: progress)
    }

    // MARK: - Preparation

    enum Prepared: Sendable {
        case read(any FTPReadHandle, limit: UInt64?)
        case write(any FTPWriteHandle, name: String?)
        /// The entries, read a batch at a time and each formatted into its line only as the listing is sent: a
        /// directory of 200,000 files held its entries and all of their lines at once (three times the memory,
        /// measured), then all of its entries (`Docs/benchmarks.md`).
        case listing(FTPDirectoryListing, pattern: FTPNamePattern?, line: @Sendable (FTPFileInfo, inout ByteBuffer) -> Void)

        func discard() async {
            switch self {
            case .read(let h, _): await h.close()
            case .write(let h, _): await h.abort()
            case .listing: break
            }
        }
    }

    private func prepare() async throws -> Prepared {
        switch self.transfer.kind {
        case .retrieve(let path, let offset, let length):
            let handle = try await self.storage.openForReading(path, offset: offset)
            return .read(handle, limit: length)
        case .store(let path, let mode):
            return .write(try await self.storage.openForWriting(path, mode: mode), name: nil)
        case .storeUnique(let directory):
            for _ in 0..<16 {
                let name = "stou-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
                let path = directory.appending(name)
                do {
                    _ = try await self.storage.info(at: path)
                    continue
                } catch let e as FTPStorageError where e.code == .notFound {
                    return .write(try await self.storage.openForWriting(path, mode: .replace), name: name)
                }
            }
            throw FTPStorageError(.io, "no unique name available")
        case .list(let path, let format):
            let machine = if case .machine = format { true } else { false }
            let target = try await self.storage.listingTarget(path, patterns: !machine)
            if machine, !target.isDirectory {
                throw FTPStorageError(.notADirectory, self.transfer.virtualPath.description)
            }
            let entries = target.isDirectory
                ? try await self.storage.listing(directory: target.directory) : FTPDirectoryListing([target.info])
            let now = Date()
            let permissions = self.permissions
            // NLST prints what ls prints: a file or a pattern's matches as paths, a directory's entries as bare names.
            let prefix = if case .names(let typed) = format, !target.isDirectory || target.pattern != nil { typed } else { "" }
            let line: @Sendable (FTPFileInfo, inout ByteBuffer) -> Void = switch format {
            case .long: { FTPListFormatter.writeLongLine($0, now: now, into: &$1) }
            case .names: { info, buffer in
                buffer.writeString(prefix)
                buffer.writeString(info.name)
            }
            case .machine(let facts):
                { FTPListFormatter.writeFacts($0, enabled: facts, permissions: permissions, name: $0.name, into: &$1) }
            }
            return .listing(entries, pattern: target.pattern, line: line)
        }
    }

    private func dataChannel() async throws -> FTPDataConnection.Accepted {
        switch self.transfer.endpoint {
        case .passive:
            guard let listener = self.listener else { throw FTPStorageError(.io, "no passive listener") }
            return try await listener.accept(timeout: self.timeout)
        case .active(let target):
            return try await FTPDataConnection.connect(group: self.group, to: target, timeout: self.timeout, tls: self.tls)
        }
    }

    // MARK: - Moving data

    /// Moves the bytes with the strategy that fits: a listing's lines, `sendfile(2)` for a plain binary download of a
    /// local file, chunks read (prefetched), converted and written for the rest, or an upload streamed into storage.
    ///
    /// The loop runs on the data connection's event loop (its task executor), not the cooperative pool: a received
    /// chunk is taken where it was read, and only the storage call leaves the loop, for the file threads. On the
    /// pool every chunk cost one more pair of thread wake-ups; with 200 concurrent uploads that was twice the
    /// context switches and the slowest of the variants measured (Docs/benchmarks.md).
    private func move(_ prepared: Prepared, over channel: DataChannel, progress: Progress) async -> FTPTransferResult {
        do {
            return try await channel.executeThenClose { inbound, _ in
                try await withTaskExecutorPreference(EventLoopTaskExecutor(channel.channel.eventLoop)) {
                    switch prepared {
                    case .listing(let entries, let pattern, let line):
                        try await self.sendListing(entries, matching: pattern, line: line, on: channel.channel, progress: progress)
                    case .read(let handle, let limit):
                        try await self.send(handle, limit: limit, on: channel.channel, progress: progress)
                    case .write(let handle, let name):
                        await self.receive(into: handle, storedAs: name, from: inbound, on: channel.channel, progress: progress)
                    }
                }
            }
        } catch {
            self.logger.debug("data connection failed", metadata: ["error": "\(error)"])
            if case .write(let handle, _) = prepared { await handle.abort() }
            if self.control.isAborted { return .aborted(bytes: progress.bytes) }
            if let e = error as? FTPStorageError { return .localError(e, bytes: progress.bytes) }
            return .connectionLost(bytes: progress.bytes)
        }
    }

    /// Whether the client still holds its control connection. `isActive` alone lags when the control connection's
    /// event loop is busy and has not read the client's FIN yet; the kernel already knows (the socket left
    /// ESTABLISHED for CLOSE_WAIT), so on Linux its TCP state is asked too.
    static func connectionIsOpen(_ channel: any Channel) async -> Bool {
        guard channel.isActive else { return false }
        #if os(Linux)
        if let socket = channel as? any SocketOptionProvider, let info = try? await socket.getTCPInfo().get() {
            return info.tcpi_state == UInt8(TCP_ESTABLISHED)
        }
        #endif
        return true
    }

    func finished(_ progress: Progress) -> FTPTransferResult {
        if self.control.isAborted { return .aborted(bytes: progress.bytes) }
        if progress.stalled { return .connectionLost(bytes: progress.bytes) }
        return .completed(bytes: progress.bytes, name: nil)
    }

    /// Waits for a future from the event loop, failing after `timeout`.
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, on loop: any EventLoop, _ make: @escaping @Sendable () -> EventLoopFuture<T>
    ) async throws -> T {
        let future = try await loop.submit { () -> EventLoopFuture<T> in
            let promise = loop.makePromise(of: T.self)
            let timer = loop.scheduleTask(in: .init(timeout)) { promise.fail(TLSError("TLS handshake timed out")) }
            make().whenComplete { result in
                timer.cancel()
                promise.completeWith(result)
            }
            return promise.futureResult
        }.get()
        return try await future.get()
    }

    static func storageError(_ error: any Error) -> FTPStorageError {
        (error as? FTPStorageError) ?? FTPStorageError(.io, "\(error)")
    }

    private func describe(_ error: any Error) -> String {
        if let e = error as? FTPStorageError { return e.message }
        if error is ChannelError { return "connection failed" }
        return "\(error)"
    }
}

/// Bytes moved so far, shared between the transfer and its stall watchdog.
/// Also counts a client upload's progress from event-loop callbacks.
final class Progress: Sendable {
    private let state: Mutex<(bytes: UInt64, stalled: Bool)>
    private let digest = Mutex<String?>(nil)
    init(start: UInt64 = 0) { self.state = Mutex((start, false)) }
    /// The transfer's SHA-256 (hex), once it has moved all its bytes.
    var sha256: String? {
        get { self.digest.withLock { $0 } }
        set { self.digest.withLock { $0 = newValue } }
    }
    var bytes: UInt64 { self.state.withLock { $0.bytes } }
    var stalled: Bool { self.state.withLock { $0.stalled } }
    /// Adds `n` bytes and returns the new total.
    @discardableResult
    func add(_ n: Int) -> UInt64 { self.state.withLock { $0.bytes += UInt64(n); return $0.bytes } }
    func markStalled() { self.state.withLock { $0.stalled = true } }
}
