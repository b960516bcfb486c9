import Foundation
import NIOCore
import NIOHTTP1
import PinModel
import PinWorkspace
import Synchronization

/// A request as the responder sees it: the head, and the body of a POST (bounded).
struct ServeRequest: Sendable {
    let method: HTTPMethod
    let target: String
    let headers: HTTPHeaders
    let body: [UInt8]
    /// HTTP/1.1 without `Connection: close` (or 1.0 with keep-alive): the connection stays open.
    var keepAlive = true

    var pathPart: Substring { target.prefix { $0 != "?" } }
    var query: QueryParameters {
        guard let mark = target.firstIndex(of: "?") else { return QueryParameters("") }
        return QueryParameters(target[target.index(after: mark)...])
    }
}

/// What to send back. A file body is an open, checked descriptor and the bytes of it to send.
struct ServeResponse: Sendable {
    enum Body: Sendable {
        case none
        case bytes([UInt8])
        case file(OpenedBlob, first: Int64, count: Int64)
    }

    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body

    init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: Body = .none) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ bytes: [UInt8], status: HTTPResponseStatus = .ok) -> ServeResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        return ServeResponse(status: status, headers: headers, body: .bytes(bytes))
    }

    /// An error the way the Hub sends it: the status, `X-Error-Code` when the client maps it
    /// to an exception, `X-Error-Message`, and `{"error": …}`.
    static func hubError(_ status: HTTPResponseStatus, code: String?, message: String) -> ServeResponse {
        var response = json(HubJSON.error(message), status: status)
        if let code { response.headers.add(name: "X-Error-Code", value: code) }
        response.headers.add(name: "X-Error-Message", value: headerSafe(message))
        return response
    }

    /// Header values carry decoded client text (a revision, a path): anything outside printable
    /// ASCII becomes `?`, so no client can split a header or smuggle a line.
    static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(300).map { $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }
}

/// Answers the Hub API from a `ServeCatalog`: model and dataset info, the tree with pagination,
/// paths-info and resolve, with the Hub's headers and errors. Runs off the event loop (the
/// catalog may hash or pull through).
struct HubResponder: Sendable {
    let catalog: any ServeCatalog
    let metrics: ServeMetrics
    let log: any ServeLog
    let pageSize: Int
    /// `--blob-redirect`: LFS files' bytes come from there (a 302), not through this server.
    var redirect: (any BlobRedirect)?
    let listings = ListingCache()

    func respond(_ request: ServeRequest, route: HubRoute, baseURL: String) async -> ServeResponse {
        guard let repo = route.repo, let revision = route.revision else { return ServeResponse(status: .notFound) }
        let snapshot: ServedSnapshot
        do {
            snapshot = try await catalog.snapshot(repo, revision: revision)
        } catch {
            return failure(error, route: route)
        }
        switch route {
        case .info:
            return .json(HubJSON.info(snapshot, blobs: request.query.flag("blobs")))
        case .tree(_, _, let folder):
            return tree(snapshot, folder: folder, query: request.query, baseURL: baseURL, request: request)
        case .pathsInfo:
            return pathsInfo(snapshot, body: request.body, contentType: request.headers.first(name: "Content-Type"))
        case .resolve(_, _, let path):
            return await resolve(snapshot, path: path, request: request)
        case .health, .metrics:
            return ServeResponse(status: .notFound)
        }
    }

    // MARK: tree and paths-info

    func tree(_ snapshot: ServedSnapshot, folder: String, query: QueryParameters, baseURL: String, request: ServeRequest) -> ServeResponse {
        let listing = listings.listing(snapshot)
        let recursive = query.flag("recursive")
        guard let entries = listing.listing(of: folder, recursive: recursive) else {
            return .hubError(.notFound, code: "EntryNotFound", message: "\(folder) does not exist on \"\(snapshot.commit.hex)\"")
        }
        var start = entries.startIndex
        if let cursor = query["cursor"] {
            guard let after = Self.decodeCursor(cursor) else {
                return .hubError(.badRequest, code: nil, message: "Invalid cursor")
            }
            start = entries.firstIndex { after.utf8.lexicographicallyPrecedes($0.path.utf8) } ?? entries.endIndex
        }
        let end = entries.index(start, offsetBy: pageSize, limitedBy: entries.endIndex) ?? entries.endIndex
        var response = ServeResponse.json(HubJSON.entries(entries[start..<end]))
        if end < entries.endIndex, let last = entries[start..<end].last {
            // The next page names the commit, not the branch: a branch that moves between two
            // pages must not mix two listings.
            var link = baseURL + "/api/\(snapshot.repo.kind.apiPlural)/\(snapshot.repo.ownerAndName)/tree/\(snapshot.commit.hex)"
            if !folder.isEmpty { link += "/" + Self.encode(folder) }
            link += "?recursive=\(recursive)&expand=\(query.flag("expand"))&cursor=\(Self.encodeCursor(last.path))"
            response.headers.add(name: "Link", value: "<\(link)>; rel=\"next\"")
        }
        return response
    }

    func pathsInfo(_ snapshot: ServedSnapshot, body: [UInt8], contentType: String?) -> ServeResponse {
        let paths: [String]
        if contentType?.lowercased().hasPrefix("application/json") == true {
            struct Body: Decodable { let paths: [String] }
            guard let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)) else {
                return .hubError(.badRequest, code: nil, message: "Expected a JSON object with a `paths` array")
            }
            paths = decoded.paths
        } else {
            paths = QueryParameters(Substring(String(decoding: body, as: UTF8.self))).all("paths")
        }
        let listing = listings.listing(snapshot)
        var seen: Set<String> = []
        // Paths the snapshot does not hold are left out, as the Hub leaves them out.
        let found = paths.compactMap { path -> HubListing.Entry? in
            guard seen.insert(path).inserted else { return nil }
            return listing.entry(path)
        }
        return .json(HubJSON.entries(found))
    }

    // MARK: resolve

    func resolve(_ snapshot: ServedSnapshot, path: String, request: ServeRequest) async -> ServeResponse {
        guard let file = snapshot.file(path) else {
            return .hubError(.notFound, code: "EntryNotFound", message: "Entry not found")
        }
        var headers = Self.fileHeaders(file, commit: snapshot.commit)
        if Self.matches(request.headers.first(name: "If-None-Match"), etag: file.etag) {
            return ServeResponse(status: .notModified, headers: headers)
        }
        if let redirect, file.isLFS, let response = await redirected(file, in: snapshot, to: redirect, headers: headers) {
            return response
        }
        var range = RangeRequest.whole
        // A HEAD describes the whole file (huggingface_hub reads its size from it).
        if request.method == .GET {
            range = RangeRequest(header: request.headers.first(name: "Range"), size: file.size)
            if let condition = request.headers.first(name: "If-Range"), !Self.matches(condition, etag: file.etag, weak: false) {
                range = .whole
            }
        }
        let (first, count): (Int64, Int64)
        var status = HTTPResponseStatus.ok
        switch range {
        case .whole:
            (first, count) = (0, file.size)
        case .partial(let from, let last):
            (first, count) = (from, last - from + 1)
            status = .partialContent
            headers.add(name: "Content-Range", value: "bytes \(from)-\(last)/\(file.size)")
        case .unsatisfiable:
            headers.add(name: "Content-Range", value: "bytes */\(file.size)")
            headers.replaceOrAdd(name: "Content-Length", value: "0")
            return ServeResponse(status: .rangeNotSatisfiable, headers: headers)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(count))
        guard request.method == .GET else { return ServeResponse(status: status, headers: headers) }
        let blob: ServedBlob
        do {
            blob = try await catalog.open(path, in: snapshot)
        } catch {
            return failure(error, route: .resolve(snapshot.repo, revision: snapshot.commit.hex, path: path))
        }
        do {
            let opened = try OpenedBlob(blob)
            return ServeResponse(status: status, headers: headers, body: .file(opened, first: first, count: count))
        } catch {
            metrics.blobRefusedAtOpen()
            log.error("refused to serve \(snapshot.repo)@\(snapshot.commit.hex) \(path): \(error.reason)")
            return .hubError(.internalServerError, code: nil, message: "The stored file failed its integrity check")
        }
    }

    /// The Hub's answer for an LFS file on its CDN: 302 to the bytes, with the metadata
    /// huggingface_hub reads from the redirect itself (X-Repo-Commit, X-Linked-Etag,
    /// X-Linked-Size, ETag), since it does not follow an absolute Location on its HEAD and then
    /// GETs that Location without Authorization. HEAD and GET answer alike, so a client's HEAD
    /// and its download agree. Only a blob the store holds and that passed its check here is
    /// redirected (`catalog.open` first, which also pulls through a miss); nil when the
    /// redirect store does not hold it: then the bytes are served directly.
    func redirected(_ file: ServedFile, in snapshot: ServedSnapshot, to redirect: any BlobRedirect, headers: HTTPHeaders) async -> ServeResponse? {
        do {
            _ = try await catalog.open(file.path, in: snapshot)
        } catch {
            return failure(error, route: .resolve(snapshot.repo, revision: snapshot.commit.hex, path: file.path))
        }
        guard let location = await redirect.location(of: file.sha256, size: file.size) else { return nil }
        var headers = headers
        headers.remove(name: "Accept-Ranges")
        headers.replaceOrAdd(name: "Content-Length", value: "0")
        headers.replaceOrAdd(name: "Location", value: location)
        metrics.blobRedirected()
        return ServeResponse(status: .found, headers: headers)
    }

    static func fileHeaders(_ file: ServedFile, commit: CommitID) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "X-Repo-Commit", value: commit.hex)
        headers.add(name: "ETag", value: "\"\(file.etag)\"")
        if file.isLFS {
            headers.add(name: "X-Linked-Etag", value: "\"\(file.etag)\"")
            headers.add(name: "X-Linked-Size", value: String(file.size))
        }
        headers.add(name: "Accept-Ranges", value: "bytes")
        headers.add(name: "Content-Type", value: "application/octet-stream")
        headers.add(name: "Content-Length", value: String(file.size))
        return headers
    }

    /// Whether an `If-None-Match` (a list, `*`, weak or strong tags) or, with `weak: false`, an
    /// `If-Range` value names `etag`. If-Range needs a strong match; a date never matches (this
    /// server sends no Last-Modified for files).
    static func matches(_ header: String?, etag: String, weak: Bool = true) -> Bool {
        guard let header else { return false }
        for candidate in header.split(separator: ",") {
            var tag = candidate.trimmingSpaces
            if tag == "*" && weak { return true }
            if tag.hasPrefix("W/") {
                guard weak else { continue }
                tag = tag.dropFirst(2)
            }
            if tag == "\"\(etag)\"" { return true }
        }
        return false
    }

    // MARK: errors

    /// A catalog error as the Hub would answer it; integrity and upstream failures are logged.
    func failure(_ error: ServeError, route: HubRoute) -> ServeResponse {
        switch error {
        case .repoNotFound:
            return .hubError(.notFound, code: "RepoNotFound", message: "Repository not found")
        case .revisionNotFound(_, let revision):
            return .hubError(.notFound, code: "RevisionNotFound", message: "Invalid rev id: \(revision)")
        case .entryNotFound:
            return .hubError(.notFound, code: "EntryNotFound", message: "Entry not found")
        case .gated(let repo, let reason):
            // The reason (a names-gate or policy finding) is the operator's, not the client's.
            log.error("refused \(repo): \(reason)")
            return .hubError(.forbidden, code: "GatedRepo", message: "Access to \(repo.kind.rawValue) \(repo.ownerAndName) is restricted by this mirror's policy.")
        case .integrity(let repo, let path, let reason):
            log.error("refused to serve \(repo) \(path): \(reason)")
            return .hubError(.internalServerError, code: nil, message: "The stored file failed its integrity check")
        case .unavailable(let repo, let reason):
            log.error("\(repo) unavailable (\(route.name)): \(reason)")
            return .hubError(.badGateway, code: nil, message: "The mirror could not provide this repository now")
        }
    }

    // MARK: cursor and URL text

    /// Opaque to clients: the last path of the page, base64url. The next page starts after it.
    static func encodeCursor(_ path: String) -> String {
        Data(path.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> String? {
        guard !cursor.isEmpty, cursor.utf8.count <= 8192 else { return nil }
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return String(validating: Array(data), as: UTF8.self)
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), `/` included.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return out
    }
}

extension String {
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}

/// Listings by `repo@commit`, the few most recent: a tree walk of a large snapshot (pagination,
/// one page per request) builds it once.
final class ListingCache: Sendable {
    private let cache = Mutex<[(key: String, listing: HubListing)]>([])
    static let capacity = 16

    func listing(_ snapshot: ServedSnapshot) -> HubListing {
        // The file count too: pull-through may record a commit's files one by one.
        let key = snapshot.repo.description + "@" + snapshot.commit.hex + "#" + String(snapshot.files.count)
        if let hit = cache.withLock({ $0.first { $0.key == key }?.listing }) { return hit }
        let listing = HubListing(snapshot)
        cache.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.append((key, listing))
            if entries.count > Self.capacity { entries.removeFirst() }
        }
        return listing
    }
}
