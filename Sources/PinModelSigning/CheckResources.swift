import PinDigest
import PinModel

extension ModelSignature {
    /// The paths model_signing's verifier leaves out of every model besides the statement's own
    /// `ignore_paths` (its `ignore_git_paths` default).
    public static let gitPaths = [".git", ".gitattributes", ".github", ".gitignore"]

    /// Checks the statement's resources against the model's actual bytes, read through
    /// `reader` (for modelpin, the store's blobs, not a directory anyone could edit). A file the
    /// statement does not list, a listed file that is absent, or one whose bytes hash to another
    /// digest refuses, naming it. Files under the statement's `ignore_paths`, the git paths and
    /// `signatureFile` are left out, as model_signing leaves them out.
    ///
    /// Call it only after `verify(trust:)` succeeded: before that the statement is anyone's.
    public func checkResources(_ files: [ModelFile], reader: some ModelFileReader, signatureFile: String = "model.sig") throws(ModelSigningError) -> ResourceCheck {
        let ignore = statement.serialization.ignorePaths + Self.gitPaths + [signatureFile]
        if let bad = files.first(where: { $0.size < 0 }) {
            throw ModelSigningError(file: file, reason: .unreadable(path: bad.path, problem: "a negative size (\(bad.size))"))
        }
        var ignored: [String] = []
        var kept: [ModelFile] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            if ignore.contains(where: { ResourcePaths.isCovered(file.path, by: $0) }) {
                ignored.append(file.path)
            } else {
                kept.append(file)
            }
        }
        var check = ResourceChecker(signature: self, reader: reader)
        switch statement.serialization.method {
        case .files: try check.files(kept)
        case .shards(let size): try check.shards(kept, shardSize: size)
        }
        return ResourceCheck(verified: statement.resources.count, hashed: check.hashed, ignored: ignored)
    }
}

/// The comparison of a statement with a model's files, names first (cheap), then digests.
struct ResourceChecker<Reader: ModelFileReader> {
    let signature: ModelSignature
    let reader: Reader
    private(set) var hashed = 0

    init(signature: ModelSignature, reader: Reader) {
        self.signature = signature
        self.reader = reader
    }

    private var file: String { signature.file }
    private var algorithm: String { signature.statement.serialization.hashType }

    mutating func files(_ files: [ModelFile]) throws(ModelSigningError) {
        let signed = Dictionary(signature.statement.resources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        try compareNames(have: files.map(\.path), signed: Set(signed.keys))
        for file in files {
            let resource = signed[file.path]!
            let actual: [UInt8]
            if algorithm == "sha256", let known = file.sha256 {
                actual = Hex.decode(known.hex)!
            } else {
                actual = try digest(of: file, range: 0..<file.size)
            }
            try compare(resource, actual)
        }
    }

    mutating func shards(_ files: [ModelFile], shardSize: Int64) throws(ModelSigningError) {
        var signed: [String: [ShardName: Resource]] = [:]
        for resource in signature.statement.resources {
            // The reader checked every name parses.
            let shard = ShardName(resource.name)!
            signed[shard.path, default: [:]][shard] = resource
        }
        // An empty file has no shard: model_signing lists nothing for it, so neither does this.
        let nonEmpty = files.filter { $0.size > 0 }
        try compareNames(have: nonEmpty.map(\.path), signed: Set(signed.keys))
        for file in nonEmpty {
            let expected = signed[file.path]!
            // Count before cutting: a tiny shard size must not make millions of names for a
            // file the statement lists in a handful of shards.
            let count = file.size / shardSize + (file.size % shardSize == 0 ? 0 : 1)
            let shards = count == Int64(expected.count) ? Self.shards(of: file, size: shardSize) : []
            guard Set(shards) == Set(expected.keys) else {
                let signedSize = expected.keys.map(\.end).max() ?? 0
                throw ModelSigningError(file: self.file, reason: .tamperedFile(
                    resource: file.path, signed: "\(signedSize) bytes", actual: "\(file.size) bytes"))
            }
            for shard in shards {
                try compare(expected[shard]!, try digest(of: file, range: shard.start..<shard.end))
            }
        }
    }

    /// The shards model_signing cuts a file into: `[k·size, min((k+1)·size, length))`.
    static func shards(of file: ModelFile, size: Int64) -> [ShardName] {
        stride(from: Int64(0), to: file.size, by: Int(size)).map { start in
            ShardName(path: file.path, start: start, end: min(start + size, file.size))
        }
    }

    /// Extra files first, then missing ones, each the first in path order.
    private func compareNames(have: [String], signed: Set<String>) throws(ModelSigningError) {
        if let extra = have.first(where: { !signed.contains($0) }) {
            throw ModelSigningError(file: file, reason: .extraFile(path: extra))
        }
        let present = Set(have)
        if let missing = signed.sorted().first(where: { !present.contains($0) }) {
            throw ModelSigningError(file: file, reason: .missingFile(resource: missing))
        }
    }

    private func compare(_ resource: Resource, _ actual: [UInt8]) throws(ModelSigningError) {
        guard resource.digest == actual else {
            throw ModelSigningError(file: file, reason: .tamperedFile(
                resource: resource.name, signed: "\(algorithm):\(Hex.encode(resource.digest))", actual: "\(algorithm):\(Hex.encode(actual))"))
        }
    }

    private mutating func digest(of file: ModelFile, range: Range<Int64>) throws(ModelSigningError) -> [UInt8] {
        hashed += 1
        return try FileDigests.hash(file, range: range, algorithm: algorithm, reader: reader, bundle: self.file)
    }
}

/// Hashing a range of a model file through the caller's reader.
enum FileDigests {
    /// The `algorithm` digest of `range` of `file`; a reader that fails or gives another number
    /// of bytes than asked is an `unreadable` error (in `bundle`'s name).
    static func hash(_ file: ModelFile, range: Range<Int64>, algorithm: String, reader: some ModelFileReader, bundle: String) throws(ModelSigningError) -> [UInt8] {
        var hasher = ResourceHasher(algorithm)
        var count: Int64 = 0
        do {
            try reader.read(file, range: range) { bytes in
                hasher.update(bytes)
                count += Int64(bytes.count)
            }
        } catch {
            throw ModelSigningError(file: bundle, reason: .unreadable(path: file.path, problem: "\(error)"))
        }
        guard count == Int64(range.count) else {
            throw ModelSigningError(file: bundle, reason: .unreadable(
                path: file.path, problem: "the reader gave \(count) bytes of the \(range.count) asked for (\(range.lowerBound)..<\(range.upperBound))"))
        }
        return hasher.finalize()
    }
}

/// The two hash types this module computes; the statement reader refuses any other.
/// (Two optionals rather than an enum with payloads: mutating a payload copies the hasher, and
/// a copied hasher copies its C state on the next update.)
struct ResourceHasher {
    private var sha256: PinDigest.SHA256?
    private var blake2b: BLAKE2b?

    init(_ algorithm: String) {
        if algorithm == "blake2b" { blake2b = BLAKE2b() } else { sha256 = PinDigest.SHA256() }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256?.update(bytes)
        blake2b?.update(bytes)
    }

    func finalize() -> [UInt8] {
        sha256.map { Hex.decode($0.finalize().hex)! } ?? blake2b!.finalize()
    }
}
