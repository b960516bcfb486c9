public import PinModel

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How snapshots are named in `index.json`'s `org.opencontainers.image.ref.name`:
/// `OWNER/NAME:COMMIT` for the commit (never moved to other content), and `OWNER/NAME:REVISION`
/// for the revision a pull asked for (`main`, a tag), which moves when that revision is
/// resolved to a new commit. `skopeo inspect oci:STORE:OWNER/NAME:main` splits at the first
/// `:` (the store path's), so the rest may hold `/` and `:`. Not `@`: oras reads `PATH@X` as a
/// digest.
public enum SnapshotReference {
    /// The reference name for `revision` of `repo`, or nil when the revision has characters
    /// outside the set image-spec's `annotations.md` allows in a ref name (`A-Za-z0-9` and
    /// `-._:@/+`); such a revision gets no alias (the commit's name still is recorded).
    public static func name(repo: RepoID, revision: String) -> String? {
        guard !revision.isEmpty, revision.utf8.count <= 256, revision.utf8.allSatisfy(isAllowed), !revision.contains("@") else { return nil }
        return repo.description + ":" + revision
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "+"): true
        default: false
        }
    }
}

/// Any JSON value: `index.json` is edited read-modify-write, and entries (or fields) modelpin
/// does not understand — another tool's images, a newer descriptor field — are kept as they were.
/// Hand-written because Foundation's JSONSerialization is not in FoundationEssentials.
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

/// `index.json` as a document: its `manifests` list, and every other field kept verbatim.
/// (SPI for fuzz/'s FuzzSnapshotManifest, which feeds it hostile bytes.)
@_spi(Fuzzing) public struct SnapshotIndex: Equatable {
    var fields: [String: JSONValue]
    var manifests: [JSONValue] {
        didSet { positions = Self.positions(of: manifests) }
    }
    /// The entries of each reference name, so that a project's hundred records cost a hundred
    /// lookups, not a hundred scans of the index.
    private var positions: [String: [Int]] = [:]

    init() {
        fields = ["schemaVersion": .integer(2), "mediaType": .string(MediaType.imageIndex)]
        manifests = []
    }

    public static func == (lhs: SnapshotIndex, rhs: SnapshotIndex) -> Bool {
        lhs.fields == rhs.fields && lhs.manifests == rhs.manifests
    }

    private static func positions(of manifests: [JSONValue]) -> [String: [Int]] {
        var positions: [String: [Int]] = [:]
        for (index, entry) in manifests.enumerated() {
            if let name = entry.object?["annotations"]?.object?[SnapshotManifest.Key.refName]?.string {
                positions[name, default: []].append(index)
            }
        }
        return positions
    }

    /// Parses an image index someone may have edited: it must be a JSON object whose
    /// `manifests` (if present) is an array. Entries are checked only when used.
    @_spi(Fuzzing) public static func parse(_ bytes: [UInt8]) throws(SnapshotManifest.Problem) -> SnapshotIndex {
        let value: JSONValue
        do {
            value = try StoreJSON.decode(JSONValue.self, from: bytes)
        } catch {
            throw SnapshotManifest.Problem(field: "", reason: StoreJSON.explain(error))
        }
        guard var fields = value.object else { throw SnapshotManifest.Problem(field: "", reason: "not a JSON object") }
        var index = SnapshotIndex()
        switch fields.removeValue(forKey: "manifests") {
        case nil: break
        case .array(let entries)?: index.manifests = entries
        case _?: throw SnapshotManifest.Problem(field: "manifests", reason: "not an array")
        }
        index.fields = fields
        return index
    }

    @_spi(Fuzzing) public func rendered() -> [UInt8] {
        var document = fields
        document["manifests"] = .array(manifests)
        return SnapshotManifest.encode(JSONValue.object(document))
    }

    /// Whether every entry named `name` carries the record key `key` (and there is one).
    func records(_ name: String, as key: String) -> Bool {
        let named = entries(named: name)
        return !named.isEmpty && named.allSatisfy {
            manifests[$0].object?["annotations"]?.object?[SnapshotManifest.Key.record]?.string == key
                && (try? descriptor(at: $0)) != nil
        }
    }

    /// The reference name of entry `index`, if it has one.
    @_spi(Fuzzing) public func referenceName(at index: Int) -> String? {
        manifests[index].object?["annotations"]?.object?[SnapshotManifest.Key.refName]?.string
    }

    @_spi(Fuzzing) public var entryCount: Int { manifests.count }

    /// Indices of the entries named `name`.
    func entries(named name: String) -> [Int] {
        positions[name] ?? []
    }

    /// The descriptor of entry `index`, checked: an image manifest, a sha256 digest, a size.
    @_spi(Fuzzing) public func descriptor(at index: Int) throws(SnapshotManifest.Problem) -> Descriptor {
        let field = "manifests[\(index)]"
        guard let object = manifests[index].object else { throw SnapshotManifest.Problem(field: field, reason: "not an object") }
        guard object["mediaType"]?.string == MediaType.imageManifest else {
            throw SnapshotManifest.Problem(field: "\(field).mediaType", reason: "is not `\(MediaType.imageManifest)`")
        }
        guard let text = object["digest"]?.string else { throw SnapshotManifest.Problem(field: "\(field).digest", reason: "missing") }
        let digest: SHA256Digest
        do {
            digest = try SHA256Digest(parsing: text)
        } catch {
            throw SnapshotManifest.Problem(field: "\(field).digest", reason: error.reason)
        }
        guard case .integer(let size)? = object["size"], size >= 0, size <= Int64(SnapshotManifest.maximumSize) else {
            throw SnapshotManifest.Problem(field: "\(field).size", reason: "missing, or not a size a snapshot manifest can have (at most \(SnapshotManifest.maximumSize) bytes)")
        }
        return Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: size)
    }

    /// Points `name` at `manifest`: replaces every entry of that name (an alias moves), or adds one.
    /// `record`: the `SnapshotManifest.recordKey` of what was recorded there.
    mutating func set(_ name: String, to manifest: Descriptor, record: String? = nil) {
        var annotations: [String: JSONValue] = [SnapshotManifest.Key.refName: .string(name)]
        if let record { annotations[SnapshotManifest.Key.record] = .string(record) }
        let entry = JSONValue.object([
            "mediaType": .string(MediaType.imageManifest),
            "artifactType": .string(SnapshotManifest.artifactType),
            "digest": .string(manifest.digest.description),
            "size": .integer(manifest.size),
            "annotations": .object(annotations),
        ])
        let existing = entries(named: name)
        if let first = existing.first {
            manifests[first] = entry
            for index in existing.dropFirst().reversed() { manifests.remove(at: index) }
        } else {
            manifests.append(entry)
        }
    }
}
