import Balancer
import FTPKit

/// Turns any failure into one plain sentence for people; the details belong in the log, not in a chat.
public enum PlainWords {
    /// A refusal that says what went wrong without library internals, addresses or reply texts.
    public static func refusal(for error: any Error) -> Refusal {
        switch error {
        case let refusal as Refusal:
            return refusal
        case let e as ClusterError:
            switch e.code {
            case .nameTaken, .nameBusy, .quotaExceeded, .invalidName, .notFound, .sizeExceeded, .noNodeAvailable,
                 .insufficientReplicas, .allReplicasFailed, .checksumMismatch, .versionChanged:
                return Refusal(.failed(problem: Self.sentence(e.message)))
            case .catalogUnavailable:
                return Refusal(.failed(problem: "the catalog could not be read or written."))
            case .invalidConfiguration:
                return Refusal(.failed(problem: Self.sentence(e.message)))
            }
        case let e as FTPClientError:
            return Refusal(.failed(problem: "a storage node: \(e.plainReason)."))
        case is CancellationError:
            return Refusal(.failed(problem: "it was cancelled."))
        default:
            return Refusal(.failed(problem: "something unexpected went wrong."))
        }
    }

    /// `text` as a sentence: ends with a full stop.
    static func sentence(_ text: String) -> String {
        text.hasSuffix(".") || text.hasSuffix("?") || text.hasSuffix("!") ? text : text + "."
    }
}
