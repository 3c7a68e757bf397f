import Crypto
import FTPKit
package import Foundation

/// What a delete's confirmation buttons carry: whose question it is, until when it may be answered, and which
/// file, as a digest of its name (a button id holds 100 characters, a name may not fit).
///
/// Everything a press needs is in the button itself, so any bot process answers it — the one that asked may have
/// restarted since, or another process sharing its shard may claim the press — and nothing is kept per question.
/// A press can only be answered once in practice: the answer removes the buttons. The delete itself is checked
/// again when the button is pressed (``FileBot/delete(_:by:)``), so a forged id (Discord does not check that an id
/// came from the message) gets no more than the presser's own `/delete` would.
package struct DeleteConfirmation: Equatable {
    /// How long a question may be answered.
    package static let lifetime: TimeInterval = 15 * 60
    private static let prefix = "delete:"

    /// Delete, or keep.
    package var confirmed: Bool
    /// The Discord user who asked (only they may answer).
    package var user: String
    /// The answer's deadline, in whole seconds since 1970.
    package var expires: Int64
    /// ``digest(of:)`` of the file's name.
    package var nameDigest: String

    /// The question's two buttons' answers for `name`, asked by `user` at `now`.
    package static func question(name: String, user: String, now: Date) -> (yes: DeleteConfirmation, no: DeleteConfirmation) {
        let expires = Int64(now.timeIntervalSince1970 + Self.lifetime)
        let yes = DeleteConfirmation(confirmed: true, user: user, expires: expires, nameDigest: Self.digest(of: name))
        var no = yes
        no.confirmed = false
        return (yes, no)
    }

    /// `delete:yes|no:USER:EXPIRES:DIGEST` (at most 7 + 3 + 1 + 20 + 1 + 20 + 1 + 16 = 69 characters).
    package var customID: String {
        "\(Self.prefix)\(self.confirmed ? "yes" : "no"):\(self.user):\(self.expires):\(self.nameDigest)"
    }

    /// The answer a button's id carries; `nil` for any other id (such as one of an older bot's buttons).
    package init?(customID: String) {
        guard customID.hasPrefix(Self.prefix) else { return nil }
        let parts = customID.dropFirst(Self.prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "yes" || parts[0] == "no", !parts[1].isEmpty,
            parts[1].allSatisfy(\.isASCIIDigit), let expires = Int64(parts[2]), parts[3].utf8.count == 16
        else { return nil }
        self.init(confirmed: parts[0] == "yes", user: String(parts[1]), expires: expires, nameDigest: String(parts[3]))
    }

    private init(confirmed: Bool, user: String, expires: Int64, nameDigest: String) {
        (self.confirmed, self.user, self.expires, self.nameDigest) = (confirmed, user, expires, nameDigest)
    }

    /// Whether the question may still be answered at `now`.
    package func isOpen(at now: Date) -> Bool { now.timeIntervalSince1970 < TimeInterval(self.expires) }

    /// Whether this answer is about `name` (as stored: the digest is of its exact bytes).
    package func isAbout(_ name: String) -> Bool { Self.digest(of: name) == self.nameDigest }

    /// The first 96 bits of the name's SHA-256, base64url: 16 characters.
    package static func digest(of name: String) -> String {
        LinkSigner.base64URL(Data(SHA256.hash(data: Data(name.utf8)).prefix(12)))
    }
}
