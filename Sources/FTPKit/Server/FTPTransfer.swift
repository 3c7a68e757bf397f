/// A data transfer the session asked its driver to carry out.
package struct FTPTransfer: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        /// RETR from `offset`, up to `length` bytes when a `RANG` limited it.
        case retrieve(FTPPath, offset: UInt64, length: UInt64?)
        case store(FTPPath, mode: FTPWriteMode)
        /// STOU: store under a new unique name in this directory.
        case storeUnique(directory: FTPPath)
        case list(FTPPath, format: ListFormat)
    }

    package enum ListFormat: Sendable, Hashable {
        /// LIST: `ls -l` lines. `directoryOnly` when the path named a file (list that one entry).
        case long
        /// NLST: names. When the argument named a file or a pattern, each name comes after `typedDirectory`, the
        /// argument's directory part as the client typed it (`pub/` for `pub/*.txt`), as `ls` prints them: the
        /// names are then paths the client can fetch (the `ftp` client's `mget pub/*.txt`). A directory's entries
        /// are bare names, as in `ls pub`.
        case names(typedDirectory: String)
        /// MLSD: RFC 3659 facts.
        case machine([MachineListFact])
    }

    package var kind: Kind
    /// The path as the user sees it (relative to their root), for replies and events.
    package var virtualPath: FTPPath
    package var type: FTPDataType
    package var endpoint: FTPDataEndpoint
    /// PROT P: the data connection is TLS.
    package var secure: Bool = false

    /// True for STOR, APPE and STOU: data flows to the server.
    package var isUpload: Bool {
        switch self.kind {
        case .store, .storeUnique: true
        case .retrieve, .list: false
        }
    }
}

/// TYPE (RFC 959 §3.1.1): image (binary) or ASCII with CRLF line ends on the wire.
package enum FTPDataType: Sendable, Hashable { case ascii, binary }

/// Where the next data connection comes from.
package enum FTPDataEndpoint: Sendable, Hashable {
    /// The client connects to the listener the driver opened (PASV/EPSV).
    case passive
    /// The server connects to the client (PORT/EPRT).
    case active(FTPHostPort)
}

/// How a transfer ended, as the driver reports it to the state machine.
package enum FTPTransferResult: Sendable, Hashable {
    /// All data moved; for uploads, committed. `name` is the stored name (for STOU).
    case completed(bytes: UInt64, name: String?)
    /// The storage refused before any data moved (missing file, permissions…).
    case storageFailed(FTPStorageError)
    /// No data connection could be made or accepted.
    case dataConnectionFailed(String)
    /// The data connection broke mid-transfer.
    case connectionLost(bytes: UInt64)
    /// An upload's TLS ended without the client's close_notify, so it may be cut short; not stored
    /// (``FTPServerConfiguration/requireTLSCloseNotify``).
    case uncleanTLSEnd(bytes: UInt64)
    /// Aborted by ABOR.
    case aborted(bytes: UInt64)
    /// The data connection's TLS was refused (no session reuse, failed handshake).
    case securityFailure(String)
    /// A local error after data started moving (disk full, I/O); uploads are discarded.
    case localError(FTPStorageError, bytes: UInt64)
}
