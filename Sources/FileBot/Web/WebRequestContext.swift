public import Hummingbird
public import NIOCore

/// The request context of the web front end: Hummingbird's core storage and the peer's address, for limiting
/// failed attempts per address.
public struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are streamed into the cluster, never collected: the per-file limit is the use case's.
    public var maxUploadSize: Int { 0 }
}
