/// A sentence for standard error and exit status 1.
struct OperatorFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
