public import Foundation
import NIOCore
import Synchronization

/// Keeps files in memory: for tests and for embedding a small server without touching the disk.
///
/// Uploads are staged in their handle and appear only on commit, like ``LocalFileStorage``.
public final class MemoryStorage: FTPStorage {
    enum Node {
        case file(ByteBuffer, modified: Date, mode: UInt16 = 0o644)
        case directory(modified: Date, mode: UInt16 = 0o755)
    }

    private let nodes: Mutex<[FTPPath: Node]>
    /// Reported by `availableSpace` (AVBL), minus what is stored; `nil` means unknown.
    public let capacity: UInt64?

    /// An empty tree; `capacity` bounds what it stores, when given.
    public init(capacity: UInt64? = nil) {
        self.nodes = Mutex([.root: .directory(modified: Date())])
        self.capacity = capacity
    }

    /// Total bytes of all stored files.
    public var usedBytes: UInt64 {
        self.nodes.withLock { nodes in
            nodes.values.reduce(0) { sum, node in
                if case .file(let b, _, _) = node { return sum + UInt64(b.readableBytes) }
                return sum
            }
        }
    }

    static func info(_ path: FTPPath, _ node: Node) -> FTPFileInfo {
        switch node {
        case .file(let data, let modified, let mode):
            FTPFileInfo(name: path.name, kind: .file, size: UInt64(data.readableBytes), modified: modified, mode: mode,
                uniqueID: String(UInt(bitPattern: path.hashValue), radix: 16))
        case .directory(let modified, let mode):
            FTPFileInfo(name: path.name, kind: .directory, size: 0, modified: modified, mode: mode,
                uniqueID: String(UInt(bitPattern: path.hashValue), radix: 16))
        }
    }

    public func info(at path: FTPPath) async throws -> FTPFileInfo {
        try self.nodes.withLock { nodes in
            guard let node = nodes[path] else { throw FTPStorageError(.notFound, path.description) }
            return Self.info(path, node)
        }
    }

    public func list(directory path: FTPPath) async throws -> [FTPFileInfo] {
        try self.nodes.withLock { nodes in
            guard let node = nodes[path] else { throw FTPStorageError(.notFound, path.description) }
            guard case .directory = node else { throw FTPStorageError(.notADirectory, path.description) }
            return nodes.filter { $0.key.components.count == path.components.count + 1 && path.contains($0.key) }
                .map { Self.info($0.key, $0.value) }
                .sorted { $0.name < $1.name }
        }
    }

    public func openForReading(_ path: FTPPath, offset: UInt64) async throws -> any FTPReadHandle {
        try self.nodes.withLock { nodes in
            switch nodes[path] {
            case .none: throw FTPStorageError(.notFound, path.description)
            case .directory: throw FTPStorageError(.isADirectory, path.description)
            case .file(let data, _, _):
                guard offset <= data.readableBytes else {
                    throw FTPStorageError(.invalidOffset, "\(path) is \(data.readableBytes) bytes")
                }
                return MemoryReadHandle(data.getSlice(at: data.readerIndex + Int(offset), length: data.readableBytes - Int(offset))!)
            }
        }
    }

    public func openForWriting(_ path: FTPPath, mode: FTPWriteMode) async throws -> any FTPWriteHandle {
        let prefix: ByteBuffer = try self.nodes.withLock { nodes in
            guard !path.isRoot else { throw FTPStorageError(.isADirectory, "/") }
            guard case .directory = nodes[path.parent] else { throw FTPStorageError(.notFound, path.parent.description) }
            let existing: ByteBuffer?
            switch nodes[path] {
            case .directory: throw FTPStorageError(.isADirectory, path.description)
            case .file(let data, _, _): existing = data
            case .none: existing = nil
            }
            switch mode {
            case .replace: return ByteBuffer()
            case .append: return existing ?? ByteBuffer()
            case .replaceFrom(let offset):
                let data = existing ?? ByteBuffer()
                guard offset <= data.readableBytes else {
                    throw FTPStorageError(.invalidOffset, "\(path) is \(data.readableBytes) bytes")
                }
                return data.getSlice(at: data.readerIndex, length: Int(offset))!
            }
        }
        return MemoryWriteHandle(storage: self, path: path, initial: prefix)
    }

    func store(_ data: ByteBuffer, at path: FTPPath) throws {
        try self.nodes.withLock { nodes in
            guard case .directory = nodes[path.parent] else { throw FTPStorageError(.notFound, path.parent.description) }
            if case .directory = nodes[path] { throw FTPStorageError(.isADirectory, path.description) }
            if let capacity {
                let used = nodes.values.reduce(UInt64(0)) { s, n in
                    if case .file(let b, _, _) = n { return s + UInt64(b.readableBytes) }
                    return s
                }
                var old: UInt64 = 0
                if case .file(let b, _, _) = nodes[path] { old = UInt64(b.readableBytes) }
                if used - old + UInt64(data.readableBytes) > capacity {
                    throw FTPStorageError(.insufficientSpace, path.description)
                }
            }
            nodes[path] = .file(data, modified: Date())
        }
    }

    public func remove(_ path: FTPPath) async throws {
        try self.nodes.withLock { nodes in
            switch nodes[path] {
            case .none: throw FTPStorageError(.notFound, path.description)
            case .directory: throw FTPStorageError(.isADirectory, path.description)
            case .file: nodes[path] = nil
            }
        }
    }

    public func rename(_ from: FTPPath, to: FTPPath) async throws {
        try self.nodes.withLock { nodes in
            guard !from.isRoot, !to.isRoot else { throw FTPStorageError(.permissionDenied, "/") }
            guard let node = nodes[from] else { throw FTPStorageError(.notFound, from.description) }
            guard case .directory = nodes[to.parent] else { throw FTPStorageError(.notFound, to.parent.description) }
            if from.contains(to), from != to { throw FTPStorageError(.invalidName, "\(to) is inside \(from)") }
            if case .directory = nodes[to] { throw FTPStorageError(.isADirectory, to.description) }
            let moved = nodes.filter { from.contains($0.key) }
            for (p, _) in moved { nodes[p] = nil }
            for (p, n) in moved {
                nodes[FTPPath(components: to.components + p.components.dropFirst(from.components.count))] = n
            }
            nodes[to] = node
        }
    }

    public func makeDirectory(_ path: FTPPath) async throws {
        try self.nodes.withLock { nodes in
            guard nodes[path] == nil else { throw FTPStorageError(.alreadyExists, path.description) }
            guard case .directory = nodes[path.parent] else { throw FTPStorageError(.notFound, path.parent.description) }
            nodes[path] = .directory(modified: Date())
        }
    }

    public func removeDirectory(_ path: FTPPath) async throws {
        try self.nodes.withLock { nodes in
            guard !path.isRoot else { throw FTPStorageError(.permissionDenied, "/") }
            guard case .directory = nodes[path] else { throw FTPStorageError(.notFound, path.description) }
            if nodes.keys.contains(where: { $0 != path && path.contains($0) }) {
                throw FTPStorageError(.directoryNotEmpty, path.description)
            }
            nodes[path] = nil
        }
    }

    public func setModificationTime(_ path: FTPPath, to date: Date) async throws {
        try self.nodes.withLock { nodes in
            switch nodes[path] {
            case .none: throw FTPStorageError(.notFound, path.description)
            case .file(let d, _, let mode): nodes[path] = .file(d, modified: date, mode: mode)
            case .directory(_, let mode): nodes[path] = .directory(modified: date, mode: mode)
            }
        }
    }

    public func setPermissions(_ path: FTPPath, to mode: UInt16) async throws {
        guard mode <= 0o777 else { throw FTPStorageError(.invalidName, "\(path): only permission bits (000-777) can be set") }
        guard !path.components.isEmpty else { throw FTPStorageError(.permissionDenied, path.description) }
        try self.nodes.withLock { nodes in
            switch nodes[path] {
            case .none: throw FTPStorageError(.notFound, path.description)
            case .file(let d, let modified, _): nodes[path] = .file(d, modified: modified, mode: mode)
            case .directory(let modified, _): nodes[path] = .directory(modified: modified, mode: mode)
            }
        }
    }

    public func availableSpace(at path: FTPPath) async throws -> UInt64? {
        guard let capacity else { return nil }
        let used = self.usedBytes
        return capacity > used ? capacity - used : 0
    }
}

final class MemoryReadHandle: FTPReadHandle {
    private let data: Mutex<ByteBuffer>
    let total: UInt64

    init(_ data: ByteBuffer) {
        self.data = Mutex(data)
        self.total = UInt64(data.readableBytes)
    }

    var remaining: UInt64 { UInt64(self.data.withLock { $0.readableBytes }) }
    var fileRegion: (descriptor: CInt, offset: UInt64, length: UInt64)? { nil }

    func read(maxLength: Int, allocator: ByteBufferAllocator) async throws -> ByteBuffer? {
        self.data.withLock { data in
            guard data.readableBytes > 0 else { return nil }
            return data.readSlice(length: min(maxLength, data.readableBytes))
        }
    }

    func close() async {}
}

final class MemoryWriteHandle: FTPWriteHandle {
    let storage: MemoryStorage
    let path: FTPPath
    private let buffer: Mutex<ByteBuffer?>

    init(storage: MemoryStorage, path: FTPPath, initial: ByteBuffer) {
        self.storage = storage
        self.path = path
        self.buffer = Mutex(initial)
    }

    func write(_ chunk: ByteBuffer) async throws {
        try self.buffer.withLock { b in
            guard b != nil else { throw FTPStorageError(.io, "\(self.path): write after the upload ended") }
            var chunk = chunk
            b!.writeBuffer(&chunk)
        }
    }

    func commit() async throws {
        guard let data = self.buffer.withLock({ b in defer { b = nil }; return b }) else { return }
        try self.storage.store(data, at: self.path)
    }

    func abort() async {
        self.buffer.withLock { $0 = nil }
    }
}
