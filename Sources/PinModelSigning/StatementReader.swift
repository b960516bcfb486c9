import FoundationEssentials
import PinDigest
import PinModel

/// The in-toto Statement v1 inside the envelope, as JSON.
struct StatementJSON: Codable {
    struct Subject: Codable {
        var name: String?
        var digest: [String: String]?
    }
    struct Predicate: Codable {
        struct SerializationJSON: Codable {
            var method: String?
            var hash_type: String?
            var shard_size: Double?
            var allow_symlinks: Bool?
            var ignore_paths: [String]?
        }
        struct ResourceJSON: Codable {
            var name: String?
            var algorithm: String?
            var digest: String?
        }
        var serialization: SerializationJSON?
        var resources: [ResourceJSON]?
    }
    var _type: String?
    var subject: [Subject]?
    var predicateType: String?
    var predicate: Predicate?
}

/// Reads the statement and checks it is consistent with itself (model_signing's
/// `dsse_payload_to_manifest`): one subject whose SHA-256 is over the resource digests in order.
struct StatementReader {
    static let statementType = "https://in-toto.io/Statement/v1"
    static let predicateType = "https://model_signing/signature/v1.0"
    static let legacyPredicateType = "https://model_signing/Digests/v0.1"
    /// Hash types whose digests this module computes, and their lengths.
    static let digestLengths = ["sha256": 32, "blake2b": 64]

    let file: String

    func read(_ payload: [UInt8]) throws(ModelSigningError) -> SignedStatement {
        let json = try StrictJSON.decode(StatementJSON.self, from: payload, file: file, prefix: "payload")
        let type = try required(json._type, "payload._type")
        guard type == Self.statementType else { throw fail(.unsupportedFormat(field: "payload._type", value: type)) }
        let predicateType = try required(json.predicateType, "payload.predicateType")
        switch predicateType {
        case Self.predicateType: return try readV1(json)
        case Self.legacyPredicateType: return try readLegacy(json)
        default: throw fail(.unsupportedFormat(field: "payload.predicateType", value: predicateType))
        }
    }

    private func readV1(_ json: StatementJSON) throws(ModelSigningError) -> SignedStatement {
        let subjects = try required(json.subject, "payload.subject")
        guard subjects.count == 1 else {
            throw fail(.malformed(field: "payload.subject", problem: "\(subjects.count) subjects; a model statement has exactly one"))
        }
        let name = try required(subjects[0].name, "payload.subject[0].name")
        let rootText = try required(subjects[0].digest?["sha256"], "payload.subject[0].digest.sha256")
        guard let rootBytes = Hex.decode(rootText), let root = SHA256Digest(bytes: rootBytes) else {
            throw fail(.malformed(field: "payload.subject[0].digest.sha256", problem: "not a hex SHA-256"))
        }
        let predicate = try required(json.predicate, "payload.predicate")
        let serialization = try readSerialization(try required(predicate.serialization, "payload.predicate.serialization"))
        var resources: [Resource] = []
        for (index, resource) in try required(predicate.resources, "payload.predicate.resources").enumerated() {
            resources.append(try readResource(resource, index, serialization))
        }
        try checkUnique(resources.map(\.name), "payload.predicate.resources")
        let computed = Self.rootDigest(of: resources)
        guard computed == root else {
            throw fail(.inconsistentStatement(expected: root.hex, computed: computed.hex))
        }
        return SignedStatement(predicateType: Self.predicateType, modelName: name, rootDigest: root,
                               resources: resources, serialization: serialization)
    }

    /// The v0.2 form: every file a subject with a SHA-256; no serialization, no model name.
    private func readLegacy(_ json: StatementJSON) throws(ModelSigningError) -> SignedStatement {
        var resources: [Resource] = []
        for (index, subject) in try required(json.subject, "payload.subject").enumerated() {
            let field = "payload.subject[\(index)]"
            let name = try required(subject.name, field + ".name")
            let text = try required(subject.digest?["sha256"], field + ".digest.sha256")
            guard let digest = Hex.decode(text), digest.count == 32 else {
                throw fail(.malformed(field: field + ".digest.sha256", problem: "not a hex SHA-256"))
            }
            try checkName(name, field + ".name")
            resources.append(Resource(name: name, algorithm: "sha256", digest: digest))
        }
        try checkUnique(resources.map(\.name), "payload.subject")
        let serialization = Serialization(method: .files, hashType: "sha256", allowSymlinks: false, ignorePaths: [])
        return SignedStatement(predicateType: Self.legacyPredicateType, modelName: nil, rootDigest: nil,
                               resources: resources, serialization: serialization)
    }

    private func readSerialization(_ json: StatementJSON.Predicate.SerializationJSON) throws(ModelSigningError) -> Serialization {
        let prefix = "payload.predicate.serialization"
        let hashType = try required(json.hash_type, prefix + ".hash_type")
        guard Self.digestLengths[hashType] != nil else { throw fail(.unsupportedHash(hashType)) }
        let allowSymlinks = try required(json.allow_symlinks, prefix + ".allow_symlinks")
        let ignorePaths = json.ignore_paths ?? []
        let method: Serialization.Method
        switch try required(json.method, prefix + ".method") {
        case "files": method = .files
        case "shards":
            // protobuf's Struct carries every number as a double: 1000000000 arrives as 1e9.
            let size = try required(json.shard_size, prefix + ".shard_size")
            guard size >= 1, size <= Double(1 << 52), size == size.rounded() else {
                throw fail(.malformed(field: prefix + ".shard_size", problem: "\(size) is not a positive whole number of bytes"))
            }
            method = .shards(shardSize: Int64(size))
        case let other: throw fail(.unsupportedFormat(field: prefix + ".method", value: other))
        }
        return Serialization(method: method, hashType: hashType, allowSymlinks: allowSymlinks, ignorePaths: ignorePaths)
    }

    private func readResource(_ json: StatementJSON.Predicate.ResourceJSON, _ index: Int, _ serialization: Serialization) throws(ModelSigningError) -> Resource {
        let field = "payload.predicate.resources[\(index)]"
        let name = try required(json.name, field + ".name")
        let algorithm = try required(json.algorithm, field + ".algorithm")
        // model_signing compares digests with their names, so a resource must carry the name
        // its hasher gives: the hash type, or for shards `<hash type>-sharded-<shard size>`.
        guard algorithm == serialization.resourceAlgorithm else {
            throw fail(.malformed(field: field + ".algorithm", problem: "\(algorithm), where the serialization makes \(serialization.resourceAlgorithm)"))
        }
        let text = try required(json.digest, field + ".digest")
        guard let digest = Hex.decode(text), digest.count == Self.digestLengths[serialization.hashType] else {
            throw fail(.malformed(field: field + ".digest", problem: "not a hex \(serialization.hashType) digest"))
        }
        if case .shards = serialization.method {
            guard ShardName(name) != nil else {
                throw fail(.malformed(field: field + ".name", problem: "\(name) is not path:start:end with start < end"))
            }
        } else {
            try checkName(name, field + ".name")
        }
        return Resource(name: name, algorithm: algorithm, digest: digest)
    }

    /// Names are compared with the model's paths, never opened; still, one that could not be a
    /// relative path in the model is a forged statement, not a model.
    private func checkName(_ name: String, _ field: String) throws(ModelSigningError) {
        guard ResourcePaths.isPlausible(name) else {
            throw fail(.malformed(field: field, problem: "\(name) is not a relative path inside the model"))
        }
    }

    private func checkUnique(_ names: [String], _ field: String) throws(ModelSigningError) {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw fail(.malformed(field: field, problem: "\(name) is listed twice"))
        }
    }

    /// SHA-256 over the resources' digest bytes, in the statement's order.
    static func rootDigest(of resources: [Resource]) -> SHA256Digest {
        var hasher = PinDigest.SHA256()
        for resource in resources { hasher.update(resource.digest) }
        return hasher.finalize()
    }

    private func required<T>(_ value: T?, _ field: String) throws(ModelSigningError) -> T {
        guard let value else { throw fail(.malformed(field: field, problem: "missing")) }
        return value
    }

    private func fail(_ reason: ModelSigningError.Reason) -> ModelSigningError {
        ModelSigningError(file: file, reason: reason)
    }
}

/// A `shards` resource name: `path:start:end`, as model_signing's `_Shard.from_str` splits it.
struct ShardName: Hashable {
    var path: String
    var start: Int64
    var end: Int64

    init?(_ name: String) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let start = Int64(parts[1]), let end = Int64(parts[2]),
              start >= 0, end > start, ResourcePaths.isPlausible(String(parts[0])) else { return nil }
        (path, self.start, self.end) = (String(parts[0]), start, end)
    }

    init(path: String, start: Int64, end: Int64) {
        (self.path, self.start, self.end) = (path, start, end)
    }

    var name: String { "\(path):\(start):\(end)" }
}

/// Relative POSIX paths as model_signing names them.
enum ResourcePaths {
    /// Not empty, not absolute, no empty, `.` or `..` component, no NUL.
    static func isPlausible(_ path: String) -> Bool {
        guard !path.isEmpty, !path.utf8.contains(0) else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Whether `path` is `prefix` or lies under it, component-wise (Python's
    /// `PurePath.is_relative_to`, which model_signing's `should_ignore` uses).
    static func isCovered(_ path: String, by prefix: String) -> Bool {
        let prefixParts = components(prefix)
        let parts = components(path)
        return !prefixParts.isEmpty && parts.starts(with: prefixParts)
    }

    /// Components as pathlib normalises them: empty and `.` components dropped.
    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }
}
