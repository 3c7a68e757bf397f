import Balancer
import DiscordKit
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
                 .insufficientReplicas, .allReplicasFailed, .checksumMismatch, .versionChanged, .incompleteSource:
                return Refusal(.failed(problem: Self.sentence(e.message)))
            case .catalogUnavailable:
                // What the person can do: the catalog's server is down, stalled or unreachable, for now.
                return Refusal(.failed(problem: "the file catalog is not answering; try again in a minute."))
            case .catalogInUse:
                return Refusal(.failed(problem: "the file catalog is held by another process."))
            case .invalidConfiguration:
                return Refusal(.failed(problem: Self.sentence(e.message)))
            }
        case let e as FTPClientError:
            return Refusal(.failed(problem: "a storage node: \(e.plainReason)."))
        case let e as DiscordRESTError:
            return Refusal(.failed(problem: Self.discord(e)))
        case is CancellationError:
            return Refusal(.failed(problem: "it was cancelled."))
        default:
            return Refusal(.failed(problem: "something unexpected went wrong."))
        }
    }

    /// What went wrong with Discord, and what to do: an attachment is fetched from Discord's CDN, anything else is
    /// an API call.
    static func discord(_ error: DiscordRESTError) -> String {
        let attachment = switch error {
        case .api(let route, _, _, _), .transport(let route, _), .stalled(let route, _), .malformedResponse(let route, _):
            route.hasSuffix("attachment")
        default: false
        }
        switch error {
        case .stalled(_, let seconds) where attachment:
            return "Discord stopped sending the attachment for \(Self.seconds(seconds)); send it again."
        case .api(_, let status, _, _) where attachment && [403, 404, 410].contains(status):
            return "Discord no longer serves that attachment; send it again."
        case _ where attachment:
            return "the attachment could not be fetched from Discord; send it again."
        case .stalled(_, let seconds):
            return "Discord stopped answering for \(Self.seconds(seconds)); try again."
        case .rateLimited, .invalidRequestBudgetExhausted:
            return "Discord is limiting how fast I may send; try again in a minute."
        case .api(_, 413, _, _):
            return "Discord refused it as too large for this channel."
        case .api(_, let status, _, let message) where status < 500:
            // Discord's own message is a short English phrase ("Missing Permissions").
            return "Discord refused it (\(message))."
        case .api:
            return "Discord is having trouble; try again."
        default:
            return "Discord could not be reached; try again."
        }
    }

    static func seconds(_ n: Int) -> String { n == 1 ? "1 second" : "\(n) seconds" }

    /// `text` as a sentence: ends with a full stop.
    static func sentence(_ text: String) -> String {
        text.hasSuffix(".") || text.hasSuffix("?") || text.hasSuffix("!") ? text : text + "."
    }
}
