import DiscordKit
import Logging
import Synchronization

/// Says, once, that another process received the same command: a shard run twice, which the claims make harmless
/// but which doubles the gateway traffic and is not what the operator meant.
final class DuplicateEvents: Sendable {
    private let warned = Atomic<Bool>(false)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func seen(_ event: Snowflake) {
        if self.warned.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged {
            self.logger.warning(
                "another process serving this bot received the same command and answered it: two processes run the same gateway shards; give each shard to one process (shards)",
                metadata: ["event": "\(event)"])
        } else {
            self.logger.debug("command left to another process", metadata: ["event": "\(event)"])
        }
    }
}
