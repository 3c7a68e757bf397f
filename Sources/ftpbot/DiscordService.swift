import DiscordKit
import Logging
import ServiceLifecycle

/// The gateway's shards feeding the command router, as one service of the bot's `ServiceGroup`. A graceful
/// shutdown (SIGTERM) stops the gateway, so no new command starts; commands already running get `drainTimeout`
/// to finish, then are cancelled (their transfers abort cleanly). If every shard fails, the error ends the service
/// once the running commands are done.
struct DiscordService: Service {
    let gateway: ShardedGateway
    let router: CommandRouter
    let drainTimeout: Duration
    /// The web front end, whose address is logged once it listens.
    var web: WebService? = nil
    var publicURLConfigured = false
    let logger: Logger

    private enum Ended: Sendable {
        case gateway((any Error)?)
        case shutdownRequested
    }

    func run() async throws {
        if let web {
            let url = try await web.publicURL()
            self.logger.info("web links", metadata: ["url": "\(url)"])
            if !self.publicURLConfigured {
                self.logger.warning("links point at \(url), reachable from this machine only; set http.publicURL")
            }
        }
        let (events, sink) = AsyncStream.makeStream(of: GatewayEvent.self)
        let (gateway, router, logger, drainTimeout) = (self.gateway, self.router, self.logger, self.drainTimeout)
        let failure: (any Error)? = await withTaskGroup(of: Void.self) { commands in
            commands.addTask { await router.run(events, drainTimeout: drainTimeout) }
            commands.addTask {
                for await shardEvent in gateway.events { sink.yield(shardEvent.event) }
                sink.finish()
            }
            return await withTaskGroup(of: Ended.self) { lifetime in
                lifetime.addTask {
                    do {
                        try await gateway.run()
                        return .gateway(nil)
                    } catch {
                        return .gateway(error)
                    }
                }
                lifetime.addTask {
                    guard (try? await gracefulShutdown()) != nil else { return .shutdownRequested }
                    logger.notice("stopping: no new commands; running ones get \(drainTimeout) to finish")
                    await gateway.stop()
                    return .shutdownRequested
                }
                var failure: (any Error)?
                for await ended in lifetime {
                    // The gateway is done (stopped or failed): the shutdown watcher is not needed any more.
                    if case .gateway(let error) = ended {
                        failure = error
                        lifetime.cancelAll()
                    }
                }
                // The shards' events have ended, so the router's stream ends and it drains.
                sink.finish()
                return failure
            }
        }
        if let failure { throw StartupError("\(failure)") }
    }
}
