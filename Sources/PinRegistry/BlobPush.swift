import Foundation
public import PinModel
import PinTransport

/// One upload session on the registry: where to send the next bytes and how many it holds.
struct UploadSession {
    var location: HTTPURL
    var offset: Int64
    /// `OCI-Chunk-Min-Length`, when the registry sent it.
    var minimumChunk: Int64?
}

extension RegistryClient {
    /// Makes the registry have the blob `digest` (`size` bytes, read from `file`): skipped when
    /// present, mounted from one of `mountFrom` (repositories of the same registry) when it can
    /// be, else uploaded (monolithic below `options.chunkedThreshold`, else chunked PATCHes),
    /// resuming a journalled upload when there is one. Transient failures are retried with
    /// backoff, each retry asking the registry how much it has. `progress` gets the bytes the
    /// registry has confirmed so far.
    public func pushBlob(
        _ digest: SHA256Digest, size: Int64, file: String, mountFrom: [String] = [],
        progress: (Int64) -> Void = { _ in }
    ) throws(RegistryError) -> BlobPushOutcome {
        // HEAD with the push scope: one token serves the whole push.
        if let existing = try blobSize(digest, scopes: pushScopes) {
            guard existing == size else {
                throw .badResponse(registry: registry, repository: repository, what: "the blob \(digest)", reason: "it has \(existing) bytes there, not \(size)")
            }
            return .present
        }
        var resumedFrom: Int64 = 0
        var session = try resumeJournalled(digest, size: size)
        if let session { resumedFrom = session.offset }
        if session == nil {
            for source in mountFrom where source != repository {
                switch try mount(digest, from: source) {
                case .mounted: return .mounted(from: source)
                case .session(let opened): session = opened
                }
                break
            }
        }
        var attempt = 0
        while true {
            attempt += 1
            do throws(RegistryError) {
                if session == nil { session = try openSession() }
                // `session` follows every confirmed chunk, so a retry asks about the latest one.
                try upload(digest, size: size, file: file, session: &session!, progress: progress)
                journal?.remove(registry: registry, repository: repository, digest: digest)
                return .uploaded(resumedFrom: resumedFrom)
            } catch {
                guard case .transport(_, _, let cause) = error, cause.isTransient, attempt < options.policy.retry.maxAttempts else { throw error }
                do {
                    try http.pause(options.policy.retry.delay(afterAttempt: attempt, retryAfter: cause.retryAfter))
                } catch {
                    throw wrap(error)
                }
                // Ask the registry how far it got; a session it forgot starts over.
                if let current = session { session = try status(of: current, digest: digest, size: size) }
            }
        }
    }

    var journal: UploadJournal? { options.journalDirectory.map(UploadJournal.init) }

    /// The journalled session for this blob, if the registry still has it: its `Range` says
    /// how much arrived. A stale or forgotten one is dropped.
    func resumeJournalled(_ digest: SHA256Digest, size: Int64) throws(RegistryError) -> UploadSession? {
        guard let journal, let entry = try journal.read(registry: registry, repository: repository, digest: digest, size: size) else { return nil }
        // Never follow a journal somewhere else: the location must be on the registry's origin.
        guard let location = HTTPURL(entry.location), location.origin == base.origin else {
            journal.remove(registry: registry, repository: repository, digest: digest)
            return nil
        }
        let session = try status(of: UploadSession(location: location, offset: entry.confirmed), digest: digest, size: size)
        if session == nil { journal.remove(registry: registry, repository: repository, digest: digest) }
        return session
    }

    /// GET on the upload location (distribution-spec "Get the upload status"): 204 with
    /// `Range: 0-N`. nil when the session is gone (404, or a Range past the blob).
    func status(of session: UploadSession, digest: SHA256Digest, size: Int64) throws(RegistryError) -> UploadSession? {
        let head: HTTPResponseHead
        do {
            head = try retrying { () throws(RegistryError) in
                try authorized(pushScopes, what: "push") { credential throws(TransportError) in
                    try http.send(.get, session.location, credential: sameOrigin(session.location, credential)).0
                }
            }
        } catch {
            if let status = Self.status(of: error), (400..<500).contains(status), status != 401, status != 403 { return nil }
            throw error
        }
        guard let confirmed = Self.confirmedBytes(head.header("range"), previous: session.offset), confirmed <= size else { return nil }
        let location = head.header("location").flatMap { resolve($0, against: session.location) } ?? session.location
        guard location.origin == base.origin else { return nil }
        return UploadSession(location: location, offset: confirmed, minimumChunk: Self.minimumChunk(head) ?? session.minimumChunk)
    }

    /// The bytes a `Range: 0-N` header confirms (N + 1). distribution writes `0-0` for an
    /// empty session too, so `0-0` counts as 0 unless we had sent more (then it is ambiguous
    /// and the caller treats the session as lost).
    static func confirmedBytes(_ header: String?, previous: Int64) -> Int64? {
        guard let header else { return previous == 0 ? 0 : nil }
        let text = header.hasPrefix("bytes=") ? String(header.dropFirst(6)) : header
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "0", let last = Int64(parts[1]), last >= 0 else { return nil }
        if last == 0 { return previous <= 1 ? previous : nil }
        return last + 1
    }

    static func minimumChunk(_ head: HTTPResponseHead) -> Int64? {
        head.header("oci-chunk-min-length").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The credential, only for a URL on the registry's own origin (an upload location on
    /// another host never gets it).
    func sameOrigin(_ url: HTTPURL, _ credential: String?) -> String? {
        url.origin == base.origin ? credential : nil
    }

    enum MountOutcome {
        case mounted
        /// The registry did not mount, but opened an upload session (202), used for the upload.
        case session(UploadSession)
    }

    /// POST `/v2/<name>/blobs/uploads/?mount=<digest>&from=<source>`.
    func mount(_ digest: SHA256Digest, from source: String) throws(RegistryError) -> MountOutcome {
        guard RegistryReference.repositoryProblem(source) == nil else {
            throw .badReference(source, reason: "`\(source)` is not a repository name to mount from")
        }
        let target = HTTPURL(url("blobs/uploads/").description + "?mount=\(Self.percentEncode(digest.description))&from=\(Self.percentEncode(source))")!
        let scopes = pushScopes + [Self.scope(source, "pull")]
        let head = try authorized(scopes, what: "push") { credential throws(TransportError) in
            try http.send(.post, target, credential: credential).0
        }
        if head.status == 201 { return .mounted }
        return .session(try session(from: head, what: "mounting \(digest) from `\(source)`"))
    }

    /// POST `/v2/<name>/blobs/uploads/`: a new session.
    func openSession() throws(RegistryError) -> UploadSession {
        let head = try authorized(pushScopes, what: "push") { credential throws(TransportError) in
            try http.send(.post, url("blobs/uploads/"), credential: credential).0
        }
        return try session(from: head, what: "a blob upload")
    }

    func session(from head: HTTPResponseHead, what: String) throws(RegistryError) -> UploadSession {
        guard head.status == 202, let text = head.header("location"), let location = resolve(text, against: head.url) else {
            throw .badResponse(registry: registry, repository: repository, what: what, reason: "expected 202 with a Location, got HTTP \(head.status)")
        }
        return UploadSession(location: location, offset: 0, minimumChunk: Self.minimumChunk(head))
    }

    /// The rest of the blob into `session`: one PUT when it is small and fresh, else PATCHes
    /// (each confirmed one journalled) and a closing PUT. A registry refusing PATCH on a fresh
    /// session gets a monolithic PUT instead.
    func upload(_ digest: SHA256Digest, size: Int64, file: String, session: inout UploadSession, progress: (Int64) -> Void) throws(RegistryError) {
        if session.offset == 0, size < options.chunkedThreshold {
            try finish(digest, session: session, body: .file(path: file, offset: 0, length: size))
            progress(size)
            return
        }
        while session.offset < size {
            let length = Self.chunkLength(preferred: options.chunkSize, minimum: session.minimumChunk, remaining: size - session.offset)
            do {
                session = try patch(digest, size: size, file: file, session: session, length: length)
            } catch {
                // PATCH not supported (405) or not like this (400/416 on a fresh session):
                // send the blob whole instead.
                if session.offset == 0, let status = Self.status(of: error), [400, 405, 416].contains(status) {
                    try finish(digest, session: try openSession(), body: .file(path: file, offset: 0, length: size))
                    progress(size)
                    return
                }
                throw error
            }
            progress(session.offset)
        }
        try finish(digest, session: session, body: nil)
    }

    /// The length of the next PATCH: our preference, raised to the registry's minimum, never
    /// past the end (the last chunk may be shorter than the minimum, as the spec allows).
    public static func chunkLength(preferred: Int64, minimum: Int64?, remaining: Int64) -> Int64 {
        min(remaining, max(preferred, minimum ?? 0, 1))
    }

    func patch(_ digest: SHA256Digest, size: Int64, file: String, session: UploadSession, length: Int64) throws(RegistryError) -> UploadSession {
        let last = session.offset + length - 1
        let head = try authorized(pushScopes, what: "push") { credential throws(TransportError) in
            try http.send(.patch, session.location, headers: ["Content-Type: application/octet-stream", "Content-Range: \(session.offset)-\(last)"],
                          credential: sameOrigin(session.location, credential), body: .file(path: file, offset: session.offset, length: length)).0
        }
        guard head.status == 202, let text = head.header("location"), let location = resolve(text, against: session.location) else {
            throw .badResponse(registry: registry, repository: repository, what: "the upload of \(digest)", reason: "a PATCH answered HTTP \(head.status) without a Location")
        }
        guard location.origin == base.origin else {
            throw .badResponse(registry: registry, repository: repository, what: "the upload of \(digest)", reason: "the upload moved to another host (\(location.origin))")
        }
        if let range = head.header("range") {
            guard Self.confirmedBytes(range, previous: last + 1) == last + 1 else {
                throw .badResponse(registry: registry, repository: repository, what: "the upload of \(digest)",
                                   reason: "after bytes \(session.offset)-\(last) the registry reports Range \(range)")
            }
        }
        let next = UploadSession(location: location, offset: last + 1, minimumChunk: Self.minimumChunk(head) ?? session.minimumChunk)
        try journal?.write(UploadJournalEntry(registry: registry, repository: repository, digest: digest, size: size,
                                              location: location.description, confirmed: next.offset))
        return next
    }

    /// PUT `<location>&digest=<digest>` (with the last bytes, or all of them): 201, and the
    /// registry's `Docker-Content-Digest`, where it sends one, must be ours.
    func finish(_ digest: SHA256Digest, session: UploadSession, body: HTTPBody?) throws(RegistryError) {
        let separator = session.location.pathAndQuery.contains("?") ? "&" : "?"
        guard let target = HTTPURL(session.location.description + separator + "digest=" + Self.percentEncode(digest.description)) else {
            throw .badResponse(registry: registry, repository: repository, what: "the upload of \(digest)", reason: "the Location does not make a URL")
        }
        let what = "the upload of \(digest)"
        let head: HTTPResponseHead
        do {
            head = try authorized(pushScopes, what: "push") { credential throws(TransportError) in
                try http.send(.put, target, headers: ["Content-Type: application/octet-stream"], credential: sameOrigin(target, credential), body: body).0
            }
        } catch {
            if Self.status(of: error) == 400, case .transport(_, _, .http(_, _, _, let detail)) = error, detail.contains("DIGEST_INVALID") {
                throw .digestMismatch(registry: registry, repository: repository, what: "the uploaded blob", expected: digest.description, actual: "something else (the registry says DIGEST_INVALID: the file changed?)")
            }
            throw error
        }
        guard head.status == 201 else {
            throw .badResponse(registry: registry, repository: repository, what: what, reason: "the closing PUT answered HTTP \(head.status), not 201")
        }
        try checkContentDigest(head, digest, what: what)
    }
}
