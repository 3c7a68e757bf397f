/// A failure that is not of the command line — a port someone else holds, a mistake inside the configuration or
/// users file, a users file that cannot be written: ftpd prints the sentence alone and exits 1 (a
/// `ValidationError` would add the usage text, which does not help with any of these).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
