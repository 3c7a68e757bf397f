/// A failure of the machine or its network while starting, not of the command line: ftpd prints the sentence alone
/// (a `ValidationError` would add the usage text, which does not help with a port someone else holds).
struct StartupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
