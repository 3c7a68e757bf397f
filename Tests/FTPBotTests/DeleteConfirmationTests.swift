import FileBot
import Foundation
import Testing

/// What a delete question's buttons carry, read back from their ids alone.
struct DeleteConfirmationTests {
    let asked = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theButtonsCarryTheAnswerTheAskerTheDeadlineAndTheName() throws {
        let long = String(repeating: "ü", count: 300) + ".txt"
        let (yes, no) = DeleteConfirmation.question(name: long, user: "18446744073709551615", now: self.asked)
        for answer in [yes, no] {
            #expect(answer.customID.count <= 100, "Discord's limit for a custom id")
            #expect(DeleteConfirmation(customID: answer.customID) == answer)
        }
        #expect(yes.confirmed && !no.confirmed)
        #expect(yes.isAbout(long) && !yes.isAbout(long + " "))
        // The digest is of the name's exact bytes: the other Unicode form is another stored name.
        #expect(!DeleteConfirmation.question(name: "caf\u{e9}", user: "1", now: self.asked).yes.isAbout("cafe\u{301}".decomposedStringWithCanonicalMapping))
        #expect(yes.isOpen(at: self.asked.addingTimeInterval(DeleteConfirmation.lifetime - 1)))
        #expect(!yes.isOpen(at: self.asked.addingTimeInterval(DeleteConfirmation.lifetime)))
    }

    @Test func otherIdsAreNoAnswer() {
        let good = DeleteConfirmation.question(name: "a.txt", user: "501", now: self.asked).yes.customID
        for id in ["", "delete:", "delete:yes:1a2b3c4d",  // an older bot's token
                   "list:1:*.txt", good + ":extra", good.replacingOccurrences(of: "delete:yes", with: "delete:maybe"),
                   good.replacingOccurrences(of: ":501:", with: "::"), good.replacingOccurrences(of: ":501:", with: ":5o1:"),
                   good.replacingOccurrences(of: ":501:", with: ":٥٠١:"), String(good.dropLast())] {
            #expect(DeleteConfirmation(customID: id) == nil, "\(id)")
        }
    }
}
