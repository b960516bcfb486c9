public import PinModel
public import PinTransport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Hub's download API: revision → commit, the recursive tree with sizes and digests, and
/// the `/resolve/{commit}/{path}` URL of each file. No per-file HEAD: the tree already says
/// everything a verified download needs. Models and datasets differ only in their paths:
/// `/api/models/O/N/…` and `/O/N/resolve/…` against `/api/datasets/O/N/…` and
/// `/datasets/O/N/resolve/…`; every check is the same for both.
public struct HubClient: Sendable {
    public let endpoint: HubEndpoint
    /// The tree's pages are followed at most this many times (a server that loops is refused).
    public var maximumPages = 10_000

    public init(endpoint: HubEndpoint) {
        self.endpoint = endpoint
    }

    /// `GET /api/models/{repo}/revision/{revision}` (`/api/datasets/…` for a dataset): the commit
    /// a branch, tag or commit names, and the repo id as the Hub spells it.
    public func resolve(_ repo: RepoID, revision: String, using client: HTTPClient) throws(HubError) -> Snapshot {
        let url = endpoint.base.appending(path: "\(Self.apiPath(repo))/revision/\(HTTPURL.encodeSegment(revision))")
        let body: [UInt8]
        do {
            body = try client.fetch(url, limit: 64 << 20).1
        } catch {
            throw .from(error, repo: repo.description, endpoint: endpoint, revision: revision, tokenSent: client.policy.sendsToken(to: url))
        }
        struct Revision: Decodable {
            let id: String?
            let sha: String?
            let lastModified: String?
            let cardData: HubCardData?

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                id = try container.decodeIfPresent(String.self, forKey: .id)
                sha = try container.decodeIfPresent(String.self, forKey: .sha)
                // Informational fields: one the Hub writes in another shape is left out, and
                // never fails a resolve (the commit and the listing decide what is fetched).
                lastModified = try? container.decodeIfPresent(String.self, forKey: .lastModified)
                cardData = try? container.decodeIfPresent(HubCardData.self, forKey: .cardData)
            }

            enum CodingKeys: String, CodingKey { case id, sha, lastModified, cardData }
        }
        let answer: Revision
        do {
            answer = try JSONDecoder().decode(Revision.self, from: Data(body))
        } catch {
            throw .malformedResponse(url: url.description, reason: "not the JSON object of a repository: \(error)")
        }
        guard let sha = answer.sha else {
            throw .malformedResponse(url: url.description, reason: "no commit (`sha`) in the answer")
        }
        let commit: CommitID
        do {
            commit = try CommitID(parsing: sha)
        } catch {
            throw .malformedResponse(url: url.description, reason: "its `sha`: \(error.description)")
        }
        return Snapshot(
            repo: Self.canonical(repo, answered: answer.id), revision: revision, commit: commit,
            lastModified: answer.lastModified.flatMap(Self.seconds(iso8601:)), cardData: answer.cardData?.metadata)
    }

    /// `2024-05-01T12:34:56.000Z` (the Hub writes milliseconds) as seconds since 1970; nil for
    /// anything else (a date that cannot be read is an unknown date, which a cooldown refuses).
    static func seconds(iso8601 text: String) -> Int64? {
        let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
        return date.map { Int64($0.timeIntervalSince1970) }
    }

    /// The Hub's spelling of `repo`: its answer's `id` when that is the same repo up to ASCII
    /// case, else `repo` as asked. The Hub writes a dataset's `id` as `owner/name`, without the
    /// `datasets/` of its URLs, so the answer is compared by owner and name and given the kind
    /// that was asked for: an answer can respell a repo, never turn it into another kind.
    static func canonical(_ repo: RepoID, answered: String?) -> RepoID {
        guard let answered, let id = try? RepoID(parsing: answered), id.kind == .model,
              id.ownerAndName.lowercased() == repo.ownerAndName.lowercased(),
              let respelled = try? RepoID(owner: id.owner, name: id.name, kind: repo.kind)
        else { return repo }
        return respelled
    }

    /// `GET /api/models/{repo}/tree/{commit}?recursive=true` (`/api/datasets/…` for a dataset),
    /// following `Link: rel="next"`: every file with its size, git blob id and (for LFS files)
    /// SHA-256.
    public func files(of snapshot: Snapshot, using client: HTTPClient) throws(HubError) -> [SnapshotFile] {
        var next: HTTPURL? = endpoint.base.appending(
            path: "\(Self.apiPath(snapshot.repo))/tree/\(snapshot.commit.hex)?recursive=true&expand=false")
        var visited = Set<String>()
        var files: [SnapshotFile] = []
        while let url = next {
            guard visited.insert(url.description).inserted, visited.count <= maximumPages else {
                throw .malformedResponse(url: url.description, reason: "the tree's pages loop or never end")
            }
            let head: HTTPResponseHead
            let body: [UInt8]
            do {
                (head, body) = try client.fetch(url, limit: 256 << 20)
            } catch {
                throw .from(
                    error, repo: snapshot.repo.description, endpoint: endpoint, revision: snapshot.commit.hex,
                    tokenSent: client.policy.sendsToken(to: url))
            }
            files += try Self.parseTree(body, url: url)
            next = try nextPage(head)
        }
        // Checked here, where the listing is read, so that no caller can write a path the
        // Hub sent without this check (`.git/config`, `../x`, a case clash).
        let problems = PathSafety.problems(in: files.map(\.path))
        guard problems.isEmpty else { throw .unsafePaths(problems) }
        if case .failure(let error) = FileSizeLimit.total(files.map(\.size)) {
            throw .implausibleSize(url: endpoint.base.description, path: nil, reason: error.description)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Where a file of a snapshot is downloaded from (the Hub redirects LFS files to its CDN):
    /// `/{owner}/{name}/resolve/…` for a model, `/datasets/{owner}/{name}/resolve/…` for a dataset.
    public func url(of path: String, in snapshot: Snapshot) -> HTTPURL {
        endpoint.base.appending(
            path: "/\(snapshot.repo.kind.prefix)\(Self.encode(snapshot.repo))/resolve/\(snapshot.commit.hex)/\(HTTPURL.encodePath(path))")
    }

    /// The Hub's check of a file answer: a `/resolve/{commit}/…` answer (or a redirect on the
    /// way) that names another commit in `X-Repo-Commit` is refused before any byte is kept.
    /// Mirrors and CDNs that do not send the header pass; the digests decide then.
    public static func checkCommit(_ head: HTTPResponseHead, path: String, commit: CommitID) throws(HubError) {
        if let answered = head.header("x-repo-commit"), answered != commit.hex {
            throw .commitMismatch(path: path, expected: commit.hex, actual: answered)
        }
    }

    /// `owner/name`, each part percent-encoded; the kind is in the path around it.
    static func encode(_ repo: RepoID) -> String {
        HTTPURL.encodeSegment(repo.owner) + "/" + HTTPURL.encodeSegment(repo.name)
    }

    /// `/api/models/{owner}/{name}` or `/api/datasets/{owner}/{name}`.
    static func apiPath(_ repo: RepoID) -> String {
        "/api/\(repo.kind.apiPlural)/\(encode(repo))"
    }

    private struct TreeEntry: Decodable {
        struct LFS: Decodable {
            let oid: String
            let size: Int64
        }

        let type: String
        let path: String
        let size: Int64?
        let oid: String?
        let lfs: LFS?
    }

    static func parseTree(_ body: [UInt8], url: HTTPURL) throws(HubError) -> [SnapshotFile] {
        let entries: [TreeEntry]
        do {
            entries = try JSONDecoder().decode([TreeEntry].self, from: Data(body))
        } catch {
            throw .malformedResponse(url: url.description, reason: "not a JSON array of tree entries: \(error)")
        }
        var files: [SnapshotFile] = []
        for entry in entries where entry.type == "file" {
            guard let size = entry.size, let oidText = entry.oid, let oid = try? GitBlobID(parsing: oidText) else {
                throw .malformedResponse(url: url.description, reason: "`\(entry.path.escapedForDisplay)` lacks a size or a git blob id")
            }
            if let problem = FileSizeLimit.problem(size) {
                throw .implausibleSize(url: url.description, path: entry.path, reason: problem)
            }
            var sha: SHA256Digest?
            if let lfs = entry.lfs {
                guard let digest = try? SHA256Digest(parsing: "sha256:" + lfs.oid) else {
                    throw .malformedResponse(url: url.description, reason: "`\(entry.path.escapedForDisplay)` has an LFS oid that is not a SHA-256")
                }
                guard lfs.size == size else {
                    throw .malformedResponse(url: url.description, reason: "`\(entry.path.escapedForDisplay)` is listed as \(size) bytes and its LFS object as \(lfs.size)")
                }
                sha = digest
            }
            files.append(SnapshotFile(path: entry.path, size: size, gitBlobID: oid, sha256: sha, isLFS: sha != nil))
        }
        return files
    }

    /// The next page from a `Link` header. A next URL on another origin is moved onto the
    /// endpoint (the real Hub writes absolute huggingface.co URLs, which would bypass a mirror).
    private func nextPage(_ head: HTTPResponseHead) throws(HubError) -> HTTPURL? {
        guard let link = head.header("link") else { return nil }
        for part in link.split(separator: ",") {
            let pieces = part.split(separator: ";").map { String($0).filter { !$0.isWhitespace } }
            guard pieces.count >= 2, pieces.dropFirst().contains("rel=\"next\""),
                  pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">")
            else { continue }
            let text = String(pieces[0].dropFirst().dropLast())
            var path: String
            if let url = HTTPURL(text) {
                if url.origin == endpoint.base.origin { return url }
                path = url.pathAndQuery
            } else if text.hasPrefix("/") {
                path = text
            } else {
                throw .malformedResponse(url: endpoint.description, reason: "unusable Link header `\(link)`")
            }
            let prefix = endpoint.base.pathAndQuery == "/" ? "" : endpoint.base.pathAndQuery
            if !prefix.isEmpty, !path.hasPrefix(prefix + "/") { path = prefix + path }
            let base = endpoint.base
            return HTTPURL("\(base.scheme)://\(base.host):\(base.port)\(path)")
        }
        return nil
    }
}
