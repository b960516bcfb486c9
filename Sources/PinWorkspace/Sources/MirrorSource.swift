public import PinModel
public import PinTransport
public import SystemPackage

/// A mirror: a directory or a server in the store's blob layout (`blobs/sha256/<hex>`), as
/// `modelpin mirror` writes one and nginx or a bucket serves it. It can serve only what it is
/// asked for by SHA-256; what it sends is checked against the snapshot like any other source.
public enum MirrorSource: BlobSource, Equatable {
    /// A directory, read as `file://`.
    case directory(FilePath)
    /// The same layout served over http(s).
    case server(HTTPURL)

    /// `file:///abs/dir`, `/abs/dir`, an http(s) URL, or a relative directory (`../usb`),
    /// taken from `base` (the current directory); without a base a relative path is refused.
    public init(parsing text: String, relativeTo base: FilePath? = nil) throws(ProjectError) {
        if text.hasPrefix("file://") {
            let path = String(text.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw .badMirror(text, reason: "a file:// URL needs an absolute path (file:///srv/mirror)") }
            self = .directory(FilePath(path).lexicallyNormalized())
        } else if text.hasPrefix("/") {
            self = .directory(FilePath(text).lexicallyNormalized())
        } else if text.hasPrefix("http://") || text.hasPrefix("https://") {
            var base = text
            if !base.hasSuffix("/") { base += "/" }
            guard let url = HTTPURL(base) else { throw .badMirror(text, reason: "not a valid URL") }
            self = .server(url)
        } else if !text.contains("://"), !text.isEmpty, let base {
            self = .directory(base.pushing(FilePath(text)).lexicallyNormalized())
        } else {
            throw .badMirror(text, reason: "only http://, https:// and file:// mirrors and directories are supported")
        }
    }

    /// Whether reading from it needs the network (an http(s) mirror).
    public var isRemote: Bool {
        if case .server = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .directory(let path): "file://" + path.string
        case .server(let url): url.description
        }
    }

    public func location(of file: SnapshotFile, repo: String, commit: CommitID) -> BlobLocation? {
        guard let digest = file.sha256 else { return nil }
        switch self {
        case .directory(let root):
            return .local(root.appending("blobs").appending("sha256").appending(digest.hex))
        case .server(let base):
            return HTTPURL(base.description + "blobs/sha256/" + digest.hex).map { .remote($0, check: nil) }
        }
    }

    /// A mirror given as http:// was chosen explicitly, like an http:// endpoint; its redirects
    /// still may not downgrade, and the Hub token never goes to it.
    public func configure(_ policy: inout TransportPolicy) {
        if case .server(let base) = self, !base.isSecure { policy.plainHTTPOrigins.insert(base.origin) }
    }
}
