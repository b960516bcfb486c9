import Dispatch
public import PinModel
public import PinTransport
import Synchronization

/// A mirror in the blob layout that a client can be sent to: whether it holds an object, and a
/// URL the client may GET it from without any credential of ours.
public protocol RedirectableMirror: Sendable, CustomStringConvertible {
    /// The object's size (a HEAD), or nil when the mirror has none under `key`.
    func size(of key: String) throws -> Int64?
    /// A URL a client may GET `key` from for at least `expiry` seconds (presigned for a bucket).
    func clientURL(of key: String, expiry: Int) throws -> HTTPURL
}

/// `serve --blob-redirect`: an LFS file's `resolve` becomes a 302 to the mirror's
/// `blobs/sha256/<hex>`. A blob is redirected only once a HEAD of the mirror showed it with the
/// expected size; otherwise serve sends the bytes itself. Trusting that `mirror` was run would
/// turn a missing object into a client's error; asking per request would add a round trip to
/// every download. So: HEAD on first use, remembered (present for 5 minutes, absent for 30 s,
/// so a later `mirror` run is picked up soon).
public final class MirrorBlobRedirect: BlobRedirect {
    public let mirror: any RedirectableMirror
    /// Presigned URLs are short-lived: a client follows the 302 at once, and a URL that leaks
    /// into a log is soon useless.
    public let expiry: Int
    let presentFor: Duration = .seconds(300)
    let absentFor: Duration = .seconds(30)
    private let known = Mutex<[SHA256Digest: (present: Bool, until: ContinuousClock.Instant)]>([:])
    private let queue = DispatchQueue(label: "modelpin.serve.redirect-head", attributes: .concurrent)
    private let log: @Sendable (String) -> Void

    public init(mirror: any RedirectableMirror, expiry: Int = 300, log: @escaping @Sendable (String) -> Void) {
        self.mirror = mirror
        self.expiry = expiry
        self.log = log
    }

    public var description: String { mirror.description }

    public func location(of digest: SHA256Digest, size: Int64) async -> String? {
        let key = MirrorLayout.blobKey(digest)
        guard await isPresent(digest, size: size, key: key) else { return nil }
        do {
            return try mirror.clientURL(of: key, expiry: expiry).description
        } catch {
            log("--blob-redirect \(mirror): cannot make a URL for \(key), serving it directly: \(error)")
            return nil
        }
    }

    private func isPresent(_ digest: SHA256Digest, size: Int64, key: String) async -> Bool {
        if let entry = known.withLock({ $0[digest] }), entry.until > ContinuousClock.now { return entry.present }
        // The HEAD blocks (libcurl): on a queue of its own, never on an event loop or the
        // cooperative pool. A HEAD that fails (mirror down, credentials refused) counts as
        // absent, and is logged: the client is served directly rather than sent to a URL
        // that fails.
        let present = await withCheckedContinuation { continuation in
            queue.async { [mirror, log] in
                do {
                    let found = try mirror.size(of: key)
                    if let found, found != size { log("--blob-redirect \(mirror): \(key) has \(found) bytes, not \(size): serving it directly") }
                    continuation.resume(returning: found == size)
                } catch {
                    log("--blob-redirect \(mirror): cannot look up \(key), serving it directly: \(BlobFetcher.explain(error))")
                    continuation.resume(returning: false)
                }
            }
        }
        known.withLock { $0[digest] = (present, ContinuousClock.now + (present ? presentFor : absentFor)) }
        return present
    }
}

/// A mirror directory served over http(s) (nginx, a CDN): clients are sent to its plain URLs.
public struct HTTPMirror: RedirectableMirror {
    public let base: HTTPURL
    let policy: TransportPolicy

    /// `base` ends with `/`; an http:// base was the operator's explicit choice.
    public init(base: HTTPURL, policy: TransportPolicy) {
        self.base = base
        var policy = policy
        if !base.isSecure { policy.plainHTTPOrigins.insert(base.origin) }
        self.policy = policy
    }

    public var description: String { base.description }

    public func size(of key: String) throws -> Int64? {
        guard let url = HTTPURL(base.description + key) else { return nil }
        // One client per call: a HEAD per blob per five minutes at most, and HTTPClient is
        // not shared between threads.
        let client = try HTTPClient(policy: policy)
        do {
            let (head, _) = try client.send(.head, url)
            return head.status == 200 ? head.contentLength : nil
        } catch {
            if case .http(_, let status, _, _) = error, status == 404 || status == 403 { return nil }
            throw error
        }
    }

    public func clientURL(of key: String, expiry: Int) throws -> HTTPURL {
        guard let url = HTTPURL(base.description + key) else { throw ProjectError.badMirror(base.description + key, reason: "not a valid URL") }
        return url
    }
}

/// The names of a mirror's blobs and lock: files in a mirror directory, object keys in a bucket.
public enum MirrorLayout {
    public static func blobKey(_ digest: SHA256Digest) -> String { "blobs/sha256/" + digest.hex }
    /// Where a bucket mirror keeps one project's lock (its signature: + `.asc`), so projects
    /// sharing a bucket do not overwrite each other's (the layout oci-formats decided for
    /// mirror directories too).
    public static func lockKey(project: String) throws -> String {
        // oci-formats' rule for mirror directories: [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
        let bytes = Array(project.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (!first && (byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")))
        }
        guard (1...64).contains(bytes.count), bytes.enumerated().allSatisfy({ allowed($1, first: $0 == 0) }) else {
            throw ProjectError.badMirror("projects/\(project.escapedForDisplay)", reason: "a project name is 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit")
        }
        return "projects/\(project)/modelpin.lock"
    }
}
