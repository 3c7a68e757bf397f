/// What the cluster reports as it runs, for a bot's status messages and logs.
public enum ClusterEvent: Sendable, Hashable {
    /// A node stopped answering (or answered wrongly); it takes no new files until it is back.
    case nodeDown(String, reason: String)
    /// A node that was down answers again.
    case nodeUp(String)
    /// A file had fewer replicas than required and got them back (or could not: `restored` < `missing`).
    case repaired(file: FileKey, missing: Int, restored: Int)
    /// A node that came back still held files the cluster had deleted; they were removed.
    case reconciled(node: String, removed: [FileKey])
    /// A node holds files the cluster does not know (not uploaded through it); they are listed, not touched.
    case unknownFiles(node: String, files: [FileKey])
    /// A replica from before spaces was moved into its space's directory on a node.
    case movedIntoSpace(node: String, file: FileKey)
    /// A temporary upload left on a node (its writer stopped mid-upload) was removed by repair.
    case removedAbandonedUpload(node: String, file: FileKey)
}
