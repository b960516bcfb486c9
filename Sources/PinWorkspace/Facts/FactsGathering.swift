import Foundation
public import PinHub
public import PinLock
public import PinModel
import PinDigest
import PinScan
public import PinStore
import SystemPackage

/// What the Hub said about a snapshot when it resolved it (the revision answer), for what the
/// snapshot's own files cannot tell: the commit's date, and the card when `README.md` was not
/// fetched (`--include`).
public struct HubFacts: Sendable, Equatable {
    /// Seconds since 1970.
    public var lastModified: Int64?
    public var cardData: ModelCardMetadata?

    public init(lastModified: Int64?, cardData: ModelCardMetadata?) {
        self.lastModified = lastModified
        self.cardData = cardData
    }

    public init(_ snapshot: Snapshot) {
        self.init(lastModified: snapshot.lastModified, cardData: snapshot.cardData)
    }
}

extension ModelFacts {
    /// `config.json`, `tokenizer_config.json` and `chat_template.json` larger than this are not
    /// read (a tokenizer config with its added tokens is a few MiB at most).
    public static let maximumConfigSize = 32 << 20
    /// A chat template larger than this is not read.
    public static let maximumTemplateSize = 4 << 20

    /// The facts of `snapshot`, read from `store`: its card, config and chat template files are
    /// the store's blobs (verified when they were admitted), each format and verdict the record
    /// the store keeps for the blob under the current scanner. `hub`: the revision answer, when
    /// the snapshot was resolved just now (its card is used only when the snapshot has no
    /// README.md). `lock`: the locked model, for who signed it.
    ///
    /// A file that does not parse is a problem recorded in the facts, not an error: the facts
    /// say what is known. A blob that is missing or changed is an error (the store is damaged).
    public static func gather(
        _ snapshot: StoredSnapshot, store: Store, hub: HubFacts? = nil, lock: LockedModel? = nil
    ) throws(StoreError) -> ModelFacts {
        let scanner = ScannerIdentity.description
        var facts = ModelFacts(repo: snapshot.repo.description, commit: snapshot.commit, endpoint: snapshot.endpoint ?? lock?.endpoint, scanner: scanner)
        facts.commitDate = hub?.lastModified
        facts.signedBy = lock?.signedBy
        facts.signatures = lock?.signatures ?? []
        facts.files = snapshot.files.map { file in
            let stored = store.storedVerdict(for: file.sha256, scanner: scanner)
            return File(
                path: file.path, size: file.size, sha256: file.sha256, lfs: file.lfs, format: stored?.format,
                verdict: stored.flatMap { Verdict(rawValue: $0.verdict) })
        }
        facts.pythonFiles = snapshot.files.map(\.path).filter { $0.hasSuffix(".py") }
        let reader = SnapshotReader(snapshot: snapshot, store: store)
        try facts.readCard(reader, hub: hub?.cardData)
        try facts.readConfig(reader)
        try facts.readChatTemplates(reader)
        return facts
    }

    private mutating func readCard(_ reader: SnapshotReader, hub: ModelCardMetadata?) throws(StoreError) {
        if let bytes = try reader.prefix("README.md", count: ModelCard.maximumFrontMatter + 16) {
            do {
                card = try ModelCard.metadata(of: bytes)
                cardSource = .readme
                return
            } catch {
                cardProblem = error.description
            }
        }
        if let hub {
            card = hub
            cardSource = .hub
        }
    }

    private mutating func readConfig(_ reader: SnapshotReader) throws(StoreError) {
        if let config = try reader.jsonObject("config.json", problems: &problems) {
            modelType = config["model_type"] as? String
            architectures = (config["architectures"] as? [Any])?.compactMap { $0 as? String } ?? []
            autoMap += Self.autoMap(config["auto_map"], file: "config.json")
        }
        if let tokenizer = try reader.jsonObject("tokenizer_config.json", problems: &problems) {
            autoMap += Self.autoMap(tokenizer["auto_map"], file: "tokenizer_config.json")
        }
    }

    /// `auto_map`'s entries: `{"AutoModel": "modeling_x.XModel"}`, or a list for tokenizers
    /// (`["tokenization_x.XTokenizer", null]`).
    static func autoMap(_ value: Any?, file: String) -> [AutoMapEntry] {
        guard let map = value as? [String: Any] else { return [] }
        return map.keys.sorted().compactMap { key in
            let references: [String] = if let one = map[key] as? String {
                [one]
            } else {
                (map[key] as? [Any])?.compactMap { $0 as? String } ?? []
            }
            return references.isEmpty ? nil : AutoMapEntry(file: file, autoClass: key, references: references)
        }
    }

    /// Chat templates: `tokenizer_config.json`'s and `chat_template.json`'s `chat_template` (a
    /// string, or a list of `{name, template}`), `chat_template.jinja`, and
    /// `additional_chat_templates/NAME.jinja`.
    private mutating func readChatTemplates(_ reader: SnapshotReader) throws(StoreError) {
        var templates: [ChatTemplate] = []
        for file in ["chat_template.json", "tokenizer_config.json"] {
            guard let object = try reader.jsonObject(file, problems: &problems), let value = object["chat_template"],
                  let digest = reader.digest(of: file)
            else { continue }
            if let text = value as? String {
                templates.append(Self.template(text, file: file, name: nil, fileSHA256: digest))
            } else if let list = value as? [Any] {
                for case let entry as [String: Any] in list {
                    guard let name = entry["name"] as? String, let text = entry["template"] as? String else { continue }
                    templates.append(Self.template(text, file: file, name: name, fileSHA256: digest))
                }
            }
        }
        let jinja = reader.paths.filter {
            $0 == "chat_template.jinja" || ($0.hasPrefix("additional_chat_templates/") && $0.hasSuffix(".jinja") && $0.split(separator: "/").count == 2)
        }
        for file in jinja {
            guard let bytes = try reader.whole(file, limit: Self.maximumTemplateSize, problems: &problems), let digest = reader.digest(of: file) else { continue }
            let name = file.hasPrefix("additional_chat_templates/") ? String(file.dropFirst("additional_chat_templates/".count).dropLast(".jinja".count)) : nil
            templates.append(ChatTemplate(file: file, name: name, sha256: digest, fileSHA256: digest, size: bytes.count))
        }
        chatTemplates = templates.sorted { ($0.file, $0.name ?? "") < ($1.file, $1.name ?? "") }
    }

    static func template(_ text: String, file: String, name: String?, fileSHA256: SHA256Digest) -> ChatTemplate {
        let bytes = Array(text.utf8)
        return ChatTemplate(file: file, name: name, sha256: SHA256.hash(bytes), fileSHA256: fileSHA256, size: bytes.count)
    }
}

/// Reads a snapshot's small files from the store's blobs, with limits.
struct SnapshotReader {
    let snapshot: StoredSnapshot
    let store: Store
    private let files: [String: StoredSnapshot.File]

    init(snapshot: StoredSnapshot, store: Store) {
        self.snapshot = snapshot
        self.store = store
        files = Dictionary(snapshot.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var paths: [String] { snapshot.files.map(\.path) }

    func digest(of path: String) -> SHA256Digest? { files[path]?.sha256 }

    /// The first `count` bytes of the file at `path`, or nil when the snapshot has no such file.
    func prefix(_ path: String, count: Int) throws(StoreError) -> [UInt8]? {
        guard let file = files[path] else { return nil }
        let blob = try store.path(of: file.sha256)
        let descriptor: FileDescriptor
        do {
            descriptor = try RegularFile.open(blob)
        } catch {
            let errno: Errno = switch error.reason {
            case .io(let errno): errno
            case .notFound: .noSuchFileOrDirectory
            case .permissionDenied: .permissionDenied
            default: .ioError
            }
            throw .io(operation: "open", path: blob, errno)
        }
        defer { try? descriptor.close() }
        var bytes = [UInt8](repeating: 0, count: min(count, Int(file.size)))
        var filled = 0
        while filled < bytes.count {
            let read: Int
            do {
                read = try bytes.withUnsafeMutableBytes { try descriptor.read(fromAbsoluteOffset: Int64(filled), into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            } catch {
                throw .io(operation: "read", path: blob, error as? Errno ?? .ioError)
            }
            if read == 0 { break }
            filled += read
        }
        return Array(bytes[..<filled])
    }

    /// The whole file, or nil (with a problem recorded) when it is larger than `limit`.
    func whole(_ path: String, limit: Int, problems: inout [String]) throws(StoreError) -> [UInt8]? {
        guard let file = files[path] else { return nil }
        guard file.size <= Int64(limit) else {
            problems.append("\(path.escapedForDisplay): larger than \(limit) bytes, not read")
            return nil
        }
        return try prefix(path, count: limit)
    }

    /// The file's JSON object, or nil: absent, too large, or not a JSON object (a problem is
    /// recorded for the last two).
    func jsonObject(_ path: String, problems: inout [String]) throws(StoreError) -> [String: Any]? {
        guard let bytes = try whole(path, limit: ModelFacts.maximumConfigSize, problems: &problems) else { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            problems.append("\(path.escapedForDisplay): not a JSON object")
            return nil
        }
        return object
    }
}
