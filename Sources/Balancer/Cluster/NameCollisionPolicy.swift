/// How an upload treats a name that exists already.
public enum NameCollisionPolicy: Sendable, Hashable {
    /// The upload is refused (`nameTaken`) while the name is taken.
    case reject
    /// The new content replaces the old on commit (each node renames over it).
    case replace
    /// The new file is stored as `name (2).ext`, `name (3).ext`…
    case keepBoth
}
