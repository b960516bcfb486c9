import Foundation
import PinDigest
public import PinModel
import SystemPackage

/// A fake Hugging Face Hub on 127.0.0.1: the API (revision, tree, resolve) on one origin and
/// an LFS "CDN" on a second, implementing ../shared/reference/hub-protocol.md §2, with knobs to
/// misbehave in every way the client must survive or refuse. Test support only: nothing in the
/// shipped binary depends on it.
public final class FakeHub: @unchecked Sendable {
    // @unchecked: mutable state (repos, faults, log) is guarded by `lock`.

    public struct File: Sendable {
        public enum Content: Sendable {
            case bytes([UInt8])
            /// A file on disk (benchmarks: multi-GiB shards are never held in memory).
            case disk(path: String)
        }

        public var path: String
        public var content: Content
        public var lfs: Bool

        public init(_ path: String, _ bytes: [UInt8], lfs: Bool = false) {
            self.path = path
            content = .bytes(bytes)
            self.lfs = lfs
        }

        public init(_ path: String, disk: String, lfs: Bool) {
            self.path = path
            content = .disk(path: disk)
            self.lfs = lfs
        }
    }

    public struct Repo: Sendable {
        public enum Access: Sendable, Equatable {
            case open
            /// Needs this bearer token; without it the repo is reported missing (401 RepoNotFound).
            case privateRepo(token: String)
            /// Needs this bearer token; without one 401 GatedRepo, with another 403 GatedRepo.
            case gated(token: String)
        }

        /// `owner/name` for a model, `datasets/owner/name` for a dataset (served under
        /// `/api/datasets/…` and `/datasets/…/resolve/…`, and missing at the model paths).
        public var id: String
        public var refs: [String: String]
        public var commits: [String: [File]]
        public var access: Access
        /// Per commit: the `lastModified` the revision answer states (ISO 8601); none when absent.
        public var lastModified: [String: String] = [:]
        /// The revision answer's `cardData`, as JSON text (sent as it is, so a test can send any
        /// shape); nil: not sent.
        public var cardData: String?

        public init(id: String, refs: [String: String], commits: [String: [File]], access: Access = .open) {
            self.id = id
            self.refs = refs
            self.commits = commits
            self.access = access
        }

        /// One commit on `main`, holding `files`.
        public init(id: String, commit: String = String(repeating: "ab", count: 20), files: [File], access: Access = .open) {
            self.init(id: id, refs: ["main": commit], commits: [commit: files], access: access)
        }

        /// What the Hub's API calls it: `models` or `datasets` (its `/api/{plural}/…` paths).
        public var kind: RepoKind { (try? RepoID(parsing: id))?.kind ?? .model }
        /// The id as the Hub's JSON writes it: without the `datasets/` its URLs carry.
        public var hubID: String { (try? RepoID(parsing: id))?.ownerAndName ?? id }
    }

    /// Ways to misbehave. Counters count down as the faults fire.
    public struct Faults: Sendable {
        /// The CDN flips one byte of every LFS body (same size).
        public var corruptLFS = false
        /// The CDN hangs up after this many body bytes, for the next `dropCount` bodies.
        /// (Connection faults apply to CDN bodies only.)
        public var dropAfter: Int64?
        public var dropCount = Int.max
        /// The CDN stops sending after this many bytes and holds the connection.
        public var stallAfter: Int64?
        public var stallCount = Int.max
        /// The CDN streams bytes forever.
        public var endlessBody = false
        /// The next `failCount` hub and CDN responses are this status, with this Retry-After.
        public var failStatus: Int?
        public var failCount = 0
        public var retryAfter: Int?
        /// The CDN sends bodies at about this many bytes a second.
        public var bytesPerSecond: Int64?
        /// The CDN answers range requests with 200 and the whole file.
        public var ignoreRange = false
        /// LFS resolve redirects here instead of the CDN (`http://…`, `file:///…`, a third host).
        public var lfsLocation: String?
        /// Resolve redirects to itself forever.
        public var redirectLoop = false
        /// Resolve answers carry another commit in X-Repo-Commit.
        public var wrongRepoCommit = false
        /// The tree endpoint returns this body instead.
        public var treeBody: String?
        /// The tree reports sizes this much off.
        public var treeSizeDelta: Int64 = 0
        /// Tree page size (Link pagination).
        public var pageSize = 1000
        /// Small files go through a relative 307 to /api/resolve-cache/…, as the real Hub does.
        public var smallFilesViaResolveCache = false
        /// The body of the `failStatus` answers (default: "temporarily unavailable").
        public var failBody: String?
        /// Resolve answers carry this exact `X-Repo-Commit` value (a hostile server's bytes).
        public var repoCommitHeader: String?
        /// Seconds the revision answer is held back (a slow Hub: time for a Ctrl-C mid-resolve).
        /// The request is logged when it arrives, before the wait.
        public var revisionDelay: Double = 0

        public init() {}
    }

    public struct LoggedRequest: Sendable {
        public let server: String
        public let method: String
        public let target: String
        public let authorization: String?
        public let range: String?
    }

    public let hub: LoopbackHTTPServer
    public let cdn: LoopbackHTTPServer
    private let lock = NSLock()
    private var repos: [Repo]
    private var faultState = Faults()
    private var requests: [LoggedRequest] = []
    private var digests: [String: (sha256: String, size: Int64, gitOID: String)] = [:]
    /// What clients see as the hub and CDN base URLs (a TLS proxy in front changes them).
    private var publicHub: String
    private var publicCDN: String
    /// A path prefix the hub lives under (`HF_ENDPOINT=http://host/prefix`).
    public let pathPrefix: String

    /// `hubPort`: where the API listens (0: any free port; the CDN always takes a free one).
    public init(repos: [Repo], pathPrefix: String = "", hubPort: Int = 0) throws {
        self.repos = repos
        self.pathPrefix = pathPrefix
        let box = HandlerBox()
        hub = try LoopbackHTTPServer(port: hubPort) { box.hub?($0) ?? .text(503, "starting") }
        cdn = try LoopbackHTTPServer { box.cdn?($0) ?? .text(503, "starting") }
        publicHub = hub.baseURL + pathPrefix
        publicCDN = cdn.baseURL
        box.hub = { [unowned self] in self.handleHub($0) }
        box.cdn = { [unowned self] in self.handleCDN($0) }
        for repo in repos { for files in repo.commits.values { for file in files { try index(file) } } }
    }

    deinit {
        hub.stop()
        cdn.stop()
    }

    /// The endpoint to give the client (`--endpoint`).
    public var endpoint: String { withLock { publicHub } }

    /// Puts a proxy (nginx with TLS) in front: the URLs the hub hands out change accordingly.
    public func setPublicBases(hub: String, cdn: String) {
        withLock {
            publicHub = hub + pathPrefix
            publicCDN = cdn
        }
    }

    public func configure(_ change: (inout Faults) -> Void) {
        withLock { change(&faultState) }
    }

    public var log: [LoggedRequest] { withLock { requests } }

    public func clearLog() { withLock { requests = [] } }

    public func update(_ change: (inout [Repo]) -> Void) throws {
        try withLock {
            change(&repos)
            for repo in repos { for files in repo.commits.values { for file in files { try index(file) } } }
        }
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Data

    private func key(_ file: File) -> String {
        switch file.content {
        case .bytes(let bytes): "mem:" + SHA256.hash(bytes).hex
        case .disk(let path): "disk:" + path
        }
    }

    private func index(_ file: File) throws {
        let key = key(file)
        guard digests[key] == nil else { return }
        let sha: SHA256Digest
        let size: Int64
        switch file.content {
        case .bytes(let bytes):
            sha = SHA256.hash(bytes)
            size = Int64(bytes.count)
        case .disk(let path):
            let digest = try FileHasher.sha256(file: FilePath(path), readAhead: true)
            sha = digest.digest
            size = digest.size
        }
        let gitOID: String
        if file.lfs {
            gitOID = GitBlobHasher.id(of: Array(Self.pointer(sha: sha.hex, size: size).utf8)).hex
        } else if case .bytes(let bytes) = file.content {
            gitOID = GitBlobHasher.id(of: bytes).hex
        } else {
            gitOID = String(repeating: "0", count: 40)
        }
        digests[key] = (sha.hex, size, gitOID)
    }

    static func pointer(sha: String, size: Int64) -> String {
        "version https://git-lfs.github.com/spec/v1\noid sha256:\(sha)\nsize \(size)\n"
    }

    /// The SHA-256 (hex) the fake serves for a file, as a client should find it.
    public func sha256(of file: File) -> String { withLock { digests[key(file)]!.sha256 } }
    public func gitOID(of file: File) -> String { withLock { digests[key(file)]!.gitOID } }

    // MARK: Hub

    private func record(_ server: String, _ request: LoopbackHTTPServer.Request) {
        requests.append(LoggedRequest(
            server: server, method: request.method, target: request.target,
            authorization: request.headers["authorization"], range: request.headers["range"]))
    }

    /// The hub's answer to `request`, without a socket (`InProcessHTTP` plays the hub with it).
    public func answerHub(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        handleHub(request)
    }

    /// The CDN's answer to `request`, without a socket.
    public func answerCDN(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        handleCDN(request)
    }

    private func handleHub(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let delay = withLock { () -> Double in
            record("hub", request)
            return request.path.contains("/revision/") ? faultState.revisionDelay : 0
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return withLock {
            if let failure = takeFailure() { return failure }
            var path = request.path
            guard path.hasPrefix(pathPrefix) else { return notFound("no such route") }
            path.removeFirst(pathPrefix.count)
            for kind in RepoKind.allCases where path.hasPrefix("/api/\(kind.apiPlural)/") {
                let rest = String(path.dropFirst("/api/\(kind.apiPlural)/".count))
                if let marker = rest.range(of: "/revision/") {
                    return revision(repoID: apiID(decode(rest[..<marker.lowerBound]), kind), rev: decode(rest[marker.upperBound...]), request)
                }
                if let marker = rest.range(of: "/tree/") {
                    return tree(repoID: apiID(decode(rest[..<marker.lowerBound]), kind), rev: decode(rest[marker.upperBound...]), request)
                }
            }
            for kind in RepoKind.allCases where path.hasPrefix("/api/resolve-cache/\(kind.apiPlural)/") {
                // /api/resolve-cache/{models|datasets}/{repo}/{commit}/{path}
                let rest = String(path.dropFirst("/api/resolve-cache/\(kind.apiPlural)/".count))
                let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
                guard let commitIndex = parts.firstIndex(where: { $0.count == 40 }) else { return notFound("bad resolve-cache path") }
                return resolve(
                    repoID: apiID(decode(parts[..<commitIndex].joined(separator: "/")), kind), rev: String(parts[commitIndex]),
                    path: decode(parts[(commitIndex + 1)...].joined(separator: "/")), request, viaCache: true)
            }
            if let marker = path.range(of: "/resolve/") {
                let repoID = decode(path.dropFirst()[..<marker.lowerBound])
                let rest = path[marker.upperBound...]
                guard let slash = rest.firstIndex(of: "/") else { return notFound("no file in resolve path") }
                return resolve(repoID: repoID, rev: decode(rest[..<slash]), path: decode(rest[rest.index(after: slash)...]), request, viaCache: false)
            }
            return notFound("no such route")
        }
    }

    private func takeFailure() -> LoopbackHTTPServer.Response? {
        guard let status = faultState.failStatus, faultState.failCount > 0 else { return nil }
        faultState.failCount -= 1
        var headers: [(String, String)] = []
        if let retryAfter = faultState.retryAfter { headers.append(("Retry-After", "\(retryAfter)")) }
        return .text(status, faultState.failBody ?? "temporarily unavailable", headers: headers)
    }

    /// The fixture id an API path of `kind` names: `owner/name` under `/api/models/`,
    /// `datasets/owner/name` under `/api/datasets/`. Anything else (`/api/models/datasets/o/n`)
    /// names no repo, as on the Hub.
    private func apiID(_ text: String, _ kind: RepoKind) -> String {
        guard text.split(separator: "/", omittingEmptySubsequences: false).count == 2 else { return "\u{0}" + text }
        return kind.prefix + text
    }

    private func decode(_ text: some StringProtocol) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }

    private func notFound(_ message: String) -> LoopbackHTTPServer.Response {
        .text(404, message, headers: [("X-Error-Message", message)])
    }

    private func error(_ status: Int, code: String, _ message: String, commit: String? = nil) -> LoopbackHTTPServer.Response {
        var headers = [("X-Error-Code", code), ("X-Error-Message", message)]
        if let commit { headers.append(("X-Repo-Commit", commit)) }
        return .text(status, #"{"error":"\#(message)"}"#, headers: headers)
    }

    /// The repo and commit a request names, or the error the Hub would give.
    private func lookup(_ repoID: String, _ rev: String, _ request: LoopbackHTTPServer.Request)
        -> Result<(Repo, String), HubAnswer> {
        guard let repo = repos.first(where: { $0.id.lowercased() == repoID.lowercased() }) else {
            return .failure(HubAnswer(error(401, code: "RepoNotFound", "Repository Not Found for url: \(request.target).")))
        }
        let bearer = request.headers["authorization"]
        switch repo.access {
        case .open:
            break
        case .privateRepo(let token) where bearer != "Bearer \(token)":
            return .failure(HubAnswer(error(401, code: "RepoNotFound", "Repository Not Found for url: \(request.target).")))
        case .gated where bearer == nil:
            return .failure(HubAnswer(error(401, code: "GatedRepo", "Access to \(repo.kind.rawValue) \(repo.hubID) is restricted. You must have access to it and be authenticated to access it.")))
        case .gated(let token) where bearer != "Bearer \(token)":
            // The Hub's answer to a token whose account has not accepted the conditions.
            return .failure(HubAnswer(error(403, code: "GatedRepo", "Access to \(repo.kind.rawValue) \(repo.hubID) is restricted and you are not in the authorized list. Visit \(publicHub)/\(repo.id) to ask for access.")))
        default:
            break
        }
        let commit = repo.refs[rev] ?? (repo.commits[rev] != nil ? rev : nil)
        guard let commit else { return .failure(HubAnswer(error(404, code: "RevisionNotFound", "Invalid rev id: \(rev)"))) }
        return .success((repo, commit))
    }

    private func json(_ value: Any, headers: [(String, String)] = []) -> LoopbackHTTPServer.Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
        return LoopbackHTTPServer.Response(
            status: 200, headers: headers + [("Content-Type", "application/json")], body: .bytes(Array(data)))
    }

    private func revision(repoID: String, rev: String, _ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        switch lookup(repoID, rev, request) {
        case .failure(let answer): return answer.response
        case .success(let (repo, commit)):
            var fields: [String: Any] = [
                "id": repo.hubID, "sha": commit, "private": repo.access != Repo.Access.open,
                "gated": { if case .gated = repo.access { return "manual" as Any }; return false as Any }(),
                "siblings": repo.commits[commit]!.map { ["rfilename": $0.path] },
            ]
            if repo.kind == .model { fields["modelId"] = repo.hubID }
            if let date = repo.lastModified[commit] { fields["lastModified"] = date }
            if let cardData = repo.cardData {
                fields["cardData"] = (try? JSONSerialization.jsonObject(with: Data(cardData.utf8), options: [.fragmentsAllowed])) ?? cardData
            }
            return json(fields)
        }
    }

    private func tree(repoID: String, rev: String, _ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        switch lookup(repoID, rev, request) {
        case .failure(let answer): return answer.response
        case .success(let (repo, commit)):
            if let body = faultState.treeBody {
                return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(Array(body.utf8)))
            }
            var entries: [[String: Any]] = []
            var directories = Set<String>()
            for file in repo.commits[commit]! {
                let parts = file.path.split(separator: "/")
                for depth in 1..<max(1, parts.count) {
                    directories.insert(parts[..<depth].joined(separator: "/"))
                }
                let digest = digests[key(file)]!
                var entry: [String: Any] = [
                    "type": "file", "path": file.path, "oid": digest.gitOID, "size": digest.size + faultState.treeSizeDelta,
                ]
                if file.lfs {
                    entry["lfs"] = ["oid": digest.sha256, "size": digest.size + faultState.treeSizeDelta, "pointerSize": 134]
                }
                entries.append(entry)
            }
            for directory in directories {
                entries.append(["type": "directory", "path": directory, "oid": String(repeating: "d", count: 40), "size": 0])
            }
            entries.sort { ($0["path"] as! String) < ($1["path"] as! String) }
            let start = request.query.flatMap { query in
                query.split(separator: "&").first { $0.hasPrefix("cursor=") }.flatMap { Int($0.dropFirst(7)) }
            } ?? 0
            let end = min(entries.count, start + faultState.pageSize)
            var headers: [(String, String)] = []
            if end < entries.count {
                let next = "\(publicHub)/api/\(repo.kind.apiPlural)/\(repo.hubID)/tree/\(commit)?recursive=true&expand=false&cursor=\(end)"
                headers.append(("Link", "<\(next)>; rel=\"next\""))
            }
            return json(Array(entries[start..<end]), headers: headers)
        }
    }

    private func resolve(repoID: String, rev: String, path: String, _ request: LoopbackHTTPServer.Request, viaCache: Bool)
        -> LoopbackHTTPServer.Response {
        switch lookup(repoID, rev, request) {
        case .failure(let answer): return answer.response
        case .success(let (repo, commit)):
            guard let file = repo.commits[commit]!.first(where: { $0.path == path }) else {
                return error(404, code: "EntryNotFound", "Entry not found", commit: commit)
            }
            let digest = digests[key(file)]!
            let shownCommit = faultState.repoCommitHeader ?? (faultState.wrongRepoCommit ? String(repeating: "f", count: 40) : commit)
            if faultState.redirectLoop {
                return LoopbackHTTPServer.Response(status: 302, headers: [("Location", request.target), ("X-Repo-Commit", shownCommit)])
            }
            if file.lfs {
                let location = faultState.lfsLocation ?? "\(publicCDN)/cdn/\(digest.sha256)?filename=\(file.path.split(separator: "/").last!)"
                return LoopbackHTTPServer.Response(
                    status: 302,
                    headers: [
                        ("Location", location), ("X-Linked-Etag", "\"\(digest.sha256)\""), ("X-Linked-Size", "\(digest.size)"),
                        ("X-Repo-Commit", shownCommit), ("ETag", "\"\(digest.gitOID)\""), ("Accept-Ranges", "bytes"),
                    ],
                    body: .bytes(Array("Found. Redirecting to \(location)".utf8)))
            }
            if faultState.smallFilesViaResolveCache, !viaCache {
                let target = "\(pathPrefix)/api/resolve-cache/\(repo.kind.apiPlural)/\(repo.hubID)/\(commit)/\(path)?etag=%22\(digest.gitOID)%22"
                return LoopbackHTTPServer.Response(
                    status: 307, headers: [("Location", target), ("X-Repo-Commit", shownCommit), ("ETag", "\"\(digest.gitOID)\"")])
            }
            var response = serve(file, digest: digest, request: request, corrupt: false, faults: false)
            response.headers += [("X-Repo-Commit", shownCommit), ("ETag", "\"\(digest.gitOID)\"")]
            return response
        }
    }

    // MARK: CDN

    private func handleCDN(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        withLock {
            record("cdn", request)
            if let failure = takeFailure() { return failure }
            guard request.path.hasPrefix("/cdn/") else { return notFound("no such blob") }
            let sha = String(request.path.dropFirst(5))
            let match = repos.lazy.flatMap { $0.commits.values.joined() }.first { file in
                self.digests[self.key(file)]?.sha256 == sha
            }
            guard let file = match else { return notFound("no such blob") }
            if faultState.endlessBody {
                return LoopbackHTTPServer.Response(status: 200, headers: [("Content-Type", "application/octet-stream")], body: .endless)
            }
            return serve(file, digest: digests[key(file)]!, request: request, corrupt: faultState.corruptLFS, faults: true)
        }
    }

    /// A file's bytes, honouring a single `Range`, with whatever fault is armed.
    private func serve(
        _ file: File, digest: (sha256: String, size: Int64, gitOID: String), request: LoopbackHTTPServer.Request,
        corrupt: Bool, faults: Bool
    ) -> LoopbackHTTPServer.Response {
        let size = digest.size
        var first: Int64 = 0
        var last = size - 1
        var status = 200
        var headers: [(String, String)] = [("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream")]
        if let range = request.headers["range"], !faultState.ignoreRange, range.hasPrefix("bytes=") {
            let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2, let start = Int64(bounds[0]) {
                guard start < size else {
                    return LoopbackHTTPServer.Response(status: 416, headers: [("Content-Range", "bytes */\(size)")])
                }
                first = start
                last = min(Int64(bounds[1]) ?? (size - 1), size - 1)
                status = 206
                headers.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
            }
        }
        let body: LoopbackHTTPServer.Response.Body
        switch file.content {
        case .bytes(var bytes):
            if corrupt, !bytes.isEmpty { bytes[bytes.count / 2] ^= 0x01 }
            body = size == 0 ? .bytes([]) : .bytes(Array(bytes[Int(first)...Int(last)]))
        case .disk(let path):
            body = .file(path: path, offset: first, length: last - first + 1)
        }
        var behaviour = LoopbackHTTPServer.Response.Behaviour.normal
        if !faults {
            // Connection faults are the CDN's: they hit the large files they exist for.
        } else if let after = faultState.dropAfter, faultState.dropCount > 0 {
            faultState.dropCount -= 1
            behaviour = .dropAfter(after)
        } else if let after = faultState.stallAfter, faultState.stallCount > 0 {
            faultState.stallCount -= 1
            behaviour = .stallAfter(after)
        } else if let rate = faultState.bytesPerSecond {
            behaviour = .throttled(bytesPerSecond: rate)
        }
        return LoopbackHTTPServer.Response(status: status, headers: headers, body: body, behaviour: behaviour)
    }
}

/// An error answer, carried through `Result`.
private struct HubAnswer: Error {
    let response: LoopbackHTTPServer.Response
    init(_ response: LoopbackHTTPServer.Response) { self.response = response }
}

/// Lets the servers be created before the hub's handlers can refer to the hub.
private final class HandlerBox: @unchecked Sendable {
    // @unchecked: written once in FakeHub.init, before any request can arrive.
    var hub: (@Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response)?
    var cdn: (@Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response)?
}
