import Foundation
import PinDigest
import PinModel
import PinWorkspace

/// A served snapshot as the Hub's tree sees it: every file and every folder, by path, each
/// folder with the git tree id the Hub lists for it (computed from the files' blob ids).
/// Built once per commit and kept (`ListingCache`); a snapshot is immutable.
struct HubListing: Sendable {
    struct Entry: Sendable {
        let path: String
        /// nil for a folder.
        let file: ServedFile?
        let oid: String
    }

    /// Every entry, sorted by path in byte order (the pagination cursor relies on it).
    let entries: [Entry]
    private let index: [String: Int]

    init(_ snapshot: ServedSnapshot) {
        var children: [String: [GitTreeHasher.Entry]] = [:]
        var folders: Set<String> = [""]
        var entries: [Entry] = []
        for file in snapshot.files {
            let parent = Self.parent(of: file.path)
            let id = (try? GitBlobID(parsing: file.gitOID)) ?? GitBlobHasher.id(of: [UInt8]())
            children[parent, default: []].append(GitTreeHasher.Entry(name: Self.leaf(of: file.path), id: id, isDirectory: false))
            entries.append(Entry(path: file.path, file: file, oid: file.gitOID))
            var folder = parent
            while !folder.isEmpty, folders.insert(folder).inserted { folder = Self.parent(of: folder) }
        }
        // Deepest folders first, so each child's tree id is known before its parent's.
        var treeIDs: [String: GitBlobID] = [:]
        for folder in folders.sorted(by: { $0.split(separator: "/").count > $1.split(separator: "/").count }) {
            let id = GitTreeHasher.id(of: children[folder] ?? [])
            treeIDs[folder] = id
            if !folder.isEmpty {
                children[Self.parent(of: folder), default: []].append(GitTreeHasher.Entry(name: Self.leaf(of: folder), id: id, isDirectory: true))
                entries.append(Entry(path: folder, file: nil, oid: id.hex))
            }
        }
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.entries = entries
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() { index[entry.path] = position }
        self.index = index
    }

    func entry(_ path: String) -> Entry? { index[path].map { entries[$0] } }

    /// The entries under `folder` ("" for the root): its children, or with `recursive` every
    /// descendant. nil when `folder` is not a folder of the snapshot.
    func listing(of folder: String, recursive: Bool) -> [Entry]? {
        if !folder.isEmpty {
            guard let entry = entry(folder), entry.file == nil else { return nil }
        }
        let prefix = folder.isEmpty ? "" : folder + "/"
        return entries.filter { entry in
            guard entry.path.hasPrefix(prefix) else { return false }
            return recursive || !entry.path.dropFirst(prefix.count).contains("/")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func leaf(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// The JSON bodies of the Hub's API, with the field names huggingface_hub 2.x reads
/// (hf_api.py: `ModelInfo`, `DatasetInfo`, `RepoSibling`, `RepoFile`, `RepoFolder`).
/// Nothing here ever names Xet (`xetHash`, `xetEnabled`): a client with hf_xet installed then
/// downloads over plain HTTP from this server.
enum HubJSON {
    struct LFS: Encodable {
        let oid: String
        let size: Int64
        let pointerSize: Int
    }

    struct SiblingLFS: Encodable {
        let sha256: String
        let size: Int64
        let pointerSize: Int
    }

    struct Sibling: Encodable {
        let rfilename: String
        let size: Int64?
        let blobId: String?
        let lfs: SiblingLFS?
    }

    struct Info: Encodable {
        let id: String
        let author: String
        let sha: String
        let lastModified: String?
        let `private`: Bool
        let gated: Bool
        let disabled: Bool
        let tags: [String]
        let siblings: [Sibling]
    }

    struct TreeEntry: Encodable {
        let type: String
        let oid: String
        let size: Int64
        let path: String
        let lfs: LFS?
    }

    /// `GET /api/{kind}/{repo}[/revision/{rev}]`; `blobs=true` adds sizes, blob ids and LFS data.
    static func info(_ snapshot: ServedSnapshot, blobs: Bool) -> [UInt8] {
        let siblings = snapshot.files.map { file in
            Sibling(
                rfilename: file.path, size: blobs ? file.size : nil, blobId: blobs ? file.gitOID : nil,
                lfs: blobs && file.isLFS
                    ? SiblingLFS(sha256: file.sha256.hex, size: file.size, pointerSize: pointerSize(file)) : nil)
        }
        // A mirror hands out only what it holds, to whoever may reach it: nothing is private,
        // gated or disabled from the client's point of view. Tags and card data are not recorded.
        let info = Info(
            id: snapshot.repo.ownerAndName, author: snapshot.repo.owner, sha: snapshot.commit.hex,
            lastModified: snapshot.lastModified.map(timestamp), private: false, gated: false, disabled: false,
            tags: [], siblings: siblings)
        return encode(info)
    }

    static func treeEntry(_ entry: HubListing.Entry) -> TreeEntry {
        guard let file = entry.file else {
            return TreeEntry(type: "directory", oid: entry.oid, size: 0, path: entry.path, lfs: nil)
        }
        return TreeEntry(
            type: "file", oid: file.gitOID, size: file.size, path: file.path,
            lfs: file.isLFS ? LFS(oid: file.sha256.hex, size: file.size, pointerSize: pointerSize(file)) : nil)
    }

    static func entries(_ entries: some Sequence<HubListing.Entry>) -> [UInt8] {
        encode(entries.map(treeEntry))
    }

    static func error(_ message: String) -> [UInt8] { encode(["error": message]) }

    /// The size of the git-lfs pointer file that stands for `file` in the Hub's git repo.
    static func pointerSize(_ file: ServedFile) -> Int {
        "version https://git-lfs.github.com/spec/v1\noid sha256:\(file.sha256.hex)\nsize \(file.size)\n".utf8.count
    }

    /// `2024-05-01T12:00:00.000Z`: the only form huggingface_hub's `parse_datetime` reads.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding plain strings, numbers and booleans cannot fail.
        return Array((try? encoder.encode(value)) ?? Data("null".utf8))
    }
}
