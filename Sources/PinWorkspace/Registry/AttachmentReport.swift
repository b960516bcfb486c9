/// One artifact attached to a model's manifest on a registry (a referrer: a manifest whose
/// `subject` is the model's), as a pull found it and what checking it showed.
public struct AttachmentReport: Sendable, Encodable, Equatable {
    public enum Status: String, Sendable, Encodable {
        /// Checked, and it holds (a good signature by a pinned signer, a lock naming these bytes).
        case verified
        /// Read, but nothing here can check it (an SBOM, a scan report: listed for the user).
        case listed
        /// Checked, and it does not hold (reported as a warning, or refused when the model's
        /// signer policy required it).
        case failed
    }

    /// The referrer manifest's digest.
    public let digest: String
    public let artifactType: String
    /// The attachment's name (its title annotation), when it has one.
    public let name: String?
    public let status: Status
    /// What was checked, or why it failed.
    public let detail: String
}
