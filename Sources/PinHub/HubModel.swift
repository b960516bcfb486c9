public import PinModel
public import PinTransport

/// Where the Hub API lives: `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT`, else
/// `https://huggingface.co`. A path prefix (a reverse proxy at `/hub`) is kept.
public struct HubEndpoint: Sendable, Equatable, CustomStringConvertible {
    public static let defaultURL = "https://huggingface.co"

    public let base: HTTPURL

    public init(_ text: String) throws(HubError) {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = HTTPURL(trimmed) else {
            throw .badEndpoint(text, reason: "not an absolute http or https URL with a host")
        }
        guard !url.pathAndQuery.contains("?") else {
            throw .badEndpoint(text, reason: "an endpoint cannot carry a query string")
        }
        base = url
    }

    public var description: String {
        let text = base.description
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// Transport settings the endpoint implies: plain http is allowed for it only if it was
    /// configured as `http://`, and a token goes to its origin and nowhere else.
    public func configure(_ policy: inout TransportPolicy, token: String?) {
        if !base.isSecure { policy.plainHTTPOrigins.insert(base.origin) }
        policy.bearerToken = token
        policy.tokenOrigin = base.origin
    }
}

/// A repository at a resolved commit.
public struct Snapshot: Sendable, Equatable {
    /// The id as the Hub spells it.
    public let repo: RepoID
    public let revision: String
    public let commit: CommitID
    /// The commit's date as the Hub states it (`lastModified`), seconds since 1970; nil when the
    /// answer had none. The Hub's word, not a checked fact: good for a cooldown, no more.
    public var lastModified: Int64?
    /// The revision answer's `cardData`: the card's front matter as the Hub parsed it, for a
    /// snapshot whose `README.md` was not fetched. nil when the answer had none.
    public var cardData: ModelCardMetadata?

    public init(repo: RepoID, revision: String, commit: CommitID, lastModified: Int64? = nil, cardData: ModelCardMetadata? = nil) {
        self.repo = repo
        self.revision = revision
        self.commit = commit
        self.lastModified = lastModified
        self.cardData = cardData
    }
}
