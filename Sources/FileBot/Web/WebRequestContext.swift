public import Hummingbird
public import NIOCore

/// The request context of the web front end: Hummingbird's core storage, the peer's address (for limiting failed
/// attempts per address) and the connection (for an upload's `100 Continue`).
public struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The client's address (the proxy's, behind a reverse proxy).
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    /// The context of a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }

    /// Bodies are streamed into the cluster, never collected: the per-file limit is the use case's.
    public var maxUploadSize: Int { 0 }
}
