/// Why a request was not carried out: a reason with its facts, and one plain sentence for people. Front ends
/// render the sentence with their own way of marking names (console: quotes; Discord: bold).
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why, with what a front end needs to say it.
    public enum Reason: Sendable, Hashable {
        /// No usable name can be made of what was given.
        case invalidName(String)
        case tooLarge(name: String, size: UInt64, limit: UInt64)
        /// The upload did not hold the size it announced: it ended short (`received` < `announced`: a file truncated
        /// while read, a sender that stopped early) or went on past it (a file growing while read).
        case sizeMismatch(name: String, received: UInt64, announced: UInt64)
        /// The uploader's quota in the space leaves no room (`size` nil: the size was not known).
        case overQuota(name: String, size: UInt64?, used: UInt64, quota: UInt64)
        case tooManyFiles(name: String, limit: Int)
        case nameTaken(String)
        /// Another upload holds the name right now.
        case nameBusy(String)
        case notFound(name: String, suggestions: [String], unreachableNodes: [String])
        /// Only the uploader (`owner`) or an admin may do that.
        case notAllowed(name: String, owner: String?)
        /// Only a member of an admin role (or the console's operator) may run cluster commands.
        case adminOnly(command: String)
        /// The command was not written as it must be; `usage` says how.
        case usage(String)
        /// The configuration refuses commands in direct messages.
        case directMessagesRefused
        /// The file is bigger than what can be sent here (Discord's per-channel upload limit).
        case overTransferLimit(name: String, size: UInt64, limit: UInt64)
        /// A link cannot live that long (hours).
        case linkLifetime(requested: Double, maximum: Double)
        /// The cluster could not do it; `problem` is already one plain sentence.
        case failed(problem: String)
        /// A download's receiver stopped taking its bytes (a web client hung up, a destination refused a write):
        /// nothing failed on the storage side, and nothing is worth a warning.
        case receiverStopped(name: String)
        /// An upload's sender stopped sending before the end (a web client's connection closed mid-body): nothing
        /// was stored, and nothing failed on the storage side.
        case senderStopped(name: String, received: UInt64)
    }

    /// Why the request was refused.
    public var reason: Reason

    /// A refusal for `reason`.
    public init(_ reason: Reason) { self.reason = reason }

    /// The sentence, with names (file names, users) rendered by `name` and stored names offered as suggestions
    /// by `suggestion`.
    public func sentence(
        name: (String) -> String = { "'\($0)'" }, suggestion: ((String) -> String)? = nil,
        user: (String) -> String = { $0 }
    ) -> String {
        switch self.reason {
        case .invalidName(let given):
            return "\(name(given)) cannot be used as a file name: a name needs something besides dots, spaces and control characters, and at most 255 bytes."
        case .tooLarge(let file, let size, let limit):
            return "\(name(file)) is \(Format.bytes(size)); the limit is \(Format.bytes(limit)) per file."
        case .sizeMismatch(let file, let received, let announced) where received < announced:
            return "\(name(file)) ended after \(Format.bytes(received)) of the \(Format.bytes(announced)) it announced, so nothing was stored; send it again."
        case .sizeMismatch(let file, _, let announced):
            return "\(name(file)) went on past the \(Format.bytes(announced)) it announced (did it change while it was sent?), so nothing was stored; send it again."
        case .overQuota(let file, let size, let used, let quota):
            let what = size.map { "\(name(file)) (\(Format.bytes($0)))" } ?? name(file)
            return "\(what) would put you over your quota: you use \(Format.bytes(used)) of \(Format.bytes(quota))."
        case .tooManyFiles(let file, let limit):
            return "\(name(file)) would be more than the \(limit) files you may keep here."
        case .nameTaken(let file):
            return "A file named \(name(file)) exists already."
        case .nameBusy(let file):
            return "\(name(file)) is being uploaded right now; try again when that is done."
        case .notFound(let file, let suggestions, let unreachable):
            var text = "No file named \(name(file))."
            if !suggestions.isEmpty { text += " Did you mean " + suggestions.map { suggestion?($0) ?? name($0) }.joined(separator: ", ") + "?" }
            if !unreachable.isEmpty { text += " (\(unreachable.joined(separator: ", ")) could not be reached.)" }
            return text
        case .notAllowed(let file, let owner):
            return "Only \(owner.map { user($0) } ?? "its uploader") or a member of an admin role may delete \(name(file))."
        case .adminOnly(let command):
            return "Only a member of an admin role may run \(command)."
        case .usage(let text):
            return text
        case .directMessagesRefused:
            return "I do not keep files in direct messages; use me in a server."
        case .overTransferLimit(let file, let size, let limit):
            return "\(name(file)) is \(Format.bytes(size)), over this channel's upload limit of \(Format.bytes(limit)), so I cannot attach it here."
        case .linkLifetime(let requested, let maximum):
            if !requested.isFinite { return "Give a link's lifetime as a number of hours, up to \(Self.hours(maximum))." }
            return requested <= 0 ? "A link must live for some time; give a number of hours."
                : "A link can live at most \(Self.hours(maximum)); \(Self.hours(requested)) is too long."
        case .failed(let problem):
            return "Sorry, that failed: \(problem)"
        case .receiverStopped(let file):
            return "The download of \(name(file)) stopped: its destination stopped taking the bytes."
        case .senderStopped(let file, let received):
            return "\(name(file)) stopped arriving after \(Format.bytes(received)), so nothing was stored; send it again."
        }
    }

    public var description: String { self.sentence() }

    static func hours(_ h: Double) -> String {
        let rounded = (h * 10).rounded() / 10
        // Past 2^53 every Double is whole and `Int(_:)` would trap beyond Int.max: such amounts are written as
        // they are (`1e+20 hours`), never converted.
        let text = abs(rounded) < 9e15 && rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        return text + (rounded == 1 ? " hour" : " hours")
    }
}
