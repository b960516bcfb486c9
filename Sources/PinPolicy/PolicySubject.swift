public import PinModel

/// What a rule can look at: the facts about one model. The workspace builds it from what the
/// store verified (never from an editable file); `policy test` from a fixture.
public struct PolicySubject: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int64
        /// As the scanner recognised it (`safetensors`, `pickle`…); nil: not known.
        public var format: String?
        public var verdict: Verdict?

        public init(path: String, size: Int64, format: String? = nil, verdict: Verdict? = nil) {
            self.path = path
            self.size = size
            self.format = format
            self.verdict = verdict
        }
    }

    /// `owner/name`, or `datasets/owner/name`.
    public var repo: String
    /// Licence ids as declared (card front matter or the Hub's cardData); empty: none declared.
    public var licenses: [String]
    public var files: [File]
    /// `auto_map` in config.json or a `*.py` file.
    public var remoteCode: Bool
    /// The pinned key whose signature vouched for the files; nil: not signed.
    public var signedBy: Fingerprint?
    /// The commit's date, seconds since 1970 (UTC); nil: unknown.
    public var commitDate: Int64?
    /// The commit was not resolved now but pinned by a lock that was (a locked pull, `policy
    /// check`): a cooldown guards adopting a commit, so with no date it does not apply, where a
    /// resolve without a date fails closed.
    public var commitPinned = false

    public init(
        repo: String, licenses: [String] = [], files: [File] = [], remoteCode: Bool = false, signedBy: Fingerprint? = nil,
        commitDate: Int64? = nil
    ) {
        self.repo = repo
        self.licenses = licenses
        self.files = files
        self.remoteCode = remoteCode
        self.signedBy = signedBy
        self.commitDate = commitDate
    }

    /// The part before the first `/` (after `datasets/`).
    public var owner: String {
        let id = repo.hasPrefix("datasets/") ? String(repo.dropFirst("datasets/".count)) : repo
        return id.split(separator: "/", maxSplits: 1).first.map(String.init) ?? id
    }

    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }
}
