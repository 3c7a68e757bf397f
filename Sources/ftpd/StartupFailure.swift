/// A failure while starting that is not of the command line — a port someone else holds, a mistake inside the
/// configuration or users file: ftpd prints the sentence alone (a `ValidationError` would add the usage text, which
/// does not help with either).
struct StartupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
