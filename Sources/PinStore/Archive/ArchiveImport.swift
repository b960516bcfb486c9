public import PinModel
public import SystemPackage

/// Why an OCI archive (`import FILE.tar`) was refused, naming the archive and the member.
public enum ArchiveImportError: ModelpinError {
    /// The tar itself: a hostile or damaged member (TarReader's refusal).
    case tar(TarReader.Failure)
    /// A member an OCI layout written by `export --oci-archive` (or skopeo) does not have.
    case unexpected(archive: String, member: String)
    /// A blob whose bytes do not hash to its name.
    case tampered(archive: String, member: String, actual: SHA256Digest)
    /// Something the layout needs is not in the archive (`oci-layout`, `index.json`, a blob).
    case missing(archive: String, what: String)
    /// A document of the layout (index.json, a manifest) is not what it must be.
    case malformed(archive: String, member: String, reason: String)
    /// The store could not take it (disk, permissions).
    case store(StoreError)

    public var kind: FailureKind {
        if case .store(let error) = self { return error.kind }
        return .refused
    }

    public var description: String {
        switch self {
        case .tar(let failure): failure.description
        case .unexpected(let archive, let member):
            "\(archive): member `\(member.escapedForDisplay)` is no part of an OCI image layout (oci-layout, index.json, blobs/sha256/<hex>)"
        case .tampered(let archive, let member, let actual):
            "\(archive): member `\(member)` holds bytes that hash to \(actual), not to its name: it was changed after the archive was written"
        case .missing(let archive, let what): "\(archive): \(what) is missing"
        case .malformed(let archive, let member, let reason): "\(archive): `\(member.escapedForDisplay)`: \(reason)"
        case .store(let error): error.description
        }
    }

    public var causes: [String] {
        if case .store(let error) = self { return error.causes }
        return []
    }

    public var hint: String? {
        if case .store(let error) = self { return error.hint }
        return "nothing of the archive was admitted; write it again with `modelpin export --oci-archive` from a store that holds the models"
    }
}

/// An OCI archive read whole, every blob verified against its name and held in the store's temp
/// area, and its documents checked: what `import` admits (after the scan) or discards.
///
/// Only what modelpin's own `export --oci-archive` writes is taken, in any tar writer's hands
/// (skopeo's `oci-archive:` too): snapshot manifests in modelpin's form (each must render back
/// to its own digest, so nothing in it is ignored), their configs and layers, and referrer
/// manifests of modelpin's attachment form. Every blob must be used by one of them; a blob
/// nothing names is "unexpected", as is any member outside `oci-layout`, `index.json`,
/// `blobs/` and `blobs/sha256/<hex>`.
public final class StagedArchive {
    public struct Model: Sendable, Equatable {
        public let snapshot: StoredSnapshot
        /// `index.json`'s `org.opencontainers.image.ref.name` for it (`OWNER/NAME:COMMIT`).
        public let referenceName: String
        public let manifest: SHA256Digest
    }

    public struct Attached: Sendable, Equatable {
        /// The model manifest it is attached to.
        public let subject: SHA256Digest
        public let attachment: Attachment
    }

    public let archive: String
    public private(set) var models: [Model] = []
    public private(set) var attachments: [Attached] = []
    /// Every blob of the archive, by digest, sealed in the store's temp area.
    private var staged: [SHA256Digest: Quarantine]
    /// The shared store lock every staged blob relies on (so `gc` cannot run between a blob's
    /// arrival and its promotion): one descriptor for the whole archive.
    private var storeLock: FileDescriptor?

    init(archive: String, staged: [SHA256Digest: Quarantine], storeLock: FileDescriptor) {
        self.archive = archive
        self.staged = staged
        self.storeLock = storeLock
    }

    deinit { discard() }

    /// Where a model file's verified bytes wait (for the scan), by digest.
    public func stagedPath(of digest: SHA256Digest) -> FilePath? {
        staged[digest]?.path
    }

    /// Moves every model file into the store (the documents are the store's to render: it
    /// records the snapshots itself and so writes the same manifests again), and removes the
    /// rest. Call only after every file passed the scan.
    public func admitFiles(into store: Store) throws(StoreError) -> [IngestResult] {
        var results: [IngestResult] = []
        var done: Set<SHA256Digest> = []
        for file in models.flatMap(\.snapshot.files) where done.insert(file.sha256).inserted {
            guard let quarantine = staged.removeValue(forKey: file.sha256) else { continue }
            results.append(try store.promote(quarantine, expecting: BlobExpectation(digest: file.sha256, size: file.size)))
        }
        discard()
        return results
    }

    /// Removes whatever is still staged, and lets go of the store lock. Safe to call more than once.
    public func discard() {
        for quarantine in staged.values { quarantine.discard() }
        staged = [:]
        try? storeLock?.close()
        storeLock = nil
    }

    // MARK: Reading the documents

    /// Reads `index.json` (`index`) and every manifest it names from the staged blobs.
    func readDocuments(index bytes: [UInt8], store: Store) throws(ArchiveImportError) {
        let index: SnapshotIndex
        do {
            index = try SnapshotIndex.parse(bytes)
        } catch {
            throw .malformed(archive: archive, member: "index.json", reason: error.description)
        }
        var used: Set<SHA256Digest> = []
        var referrers: [(Int, Descriptor)] = []
        for entry in 0..<index.entryCount {
            let descriptor: Descriptor
            do {
                descriptor = try index.descriptor(at: entry)
            } catch {
                throw .malformed(archive: archive, member: "index.json", reason: error.description)
            }
            if index.annotation(ReferrerManifest.artifactTypeKey, at: entry) != nil {
                referrers.append((entry, descriptor))
                continue
            }
            guard let name = index.referenceName(at: entry) else {
                throw .malformed(archive: archive, member: "index.json", reason: "manifests[\(entry)] has neither a reference name nor an artifact type")
            }
            let model = try readModel(descriptor, name: name, store: store)
            used.formUnion([model.manifest, SnapshotManifest.render(model.snapshot).configDigest] + model.snapshot.files.map(\.sha256))
            if !models.contains(model) { models.append(model) }
        }
        for (entry, descriptor) in referrers {
            let attached = try readReferrer(descriptor, entry: entry, store: store)
            used.formUnion([descriptor.digest, SnapshotManifest.digest(attached.attachment.payload), SnapshotManifest.digest(ReferrerManifest.emptyConfig)])
            if !attachments.contains(attached) { attachments.append(attached) }
        }
        guard !models.isEmpty else { throw .missing(archive: archive, what: "a model manifest (index.json names none)") }
        if let stray = staged.keys.sorted().first(where: { !used.contains($0) }) {
            throw .unexpected(archive: archive, member: "blobs/sha256/\(stray.hex) (a blob no manifest names)")
        }
    }

    /// A snapshot manifest of modelpin's form, and its config and layers present at their sizes.
    private func readModel(_ descriptor: Descriptor, name: String, store: Store) throws(ArchiveImportError) -> Model {
        let member = "blobs/sha256/\(descriptor.digest.hex)"
        let bytes = try blob(descriptor.digest, size: descriptor.size, limit: SnapshotManifest.maximumSize, store: store)
        let snapshot: StoredSnapshot
        do {
            snapshot = try SnapshotManifest.parse(bytes)
        } catch {
            throw .malformed(archive: archive, member: member, reason: "not a snapshot manifest modelpin wrote: \(error.description)")
        }
        let rendered = SnapshotManifest.render(snapshot)
        guard rendered.manifestDigest == descriptor.digest else {
            throw .malformed(archive: archive, member: member, reason: "does not render back to its own digest: a field modelpin does not write was added or changed")
        }
        guard SnapshotReference.name(repo: snapshot.repo, revision: snapshot.commit) == name else {
            throw .malformed(archive: archive, member: "index.json", reason: "the reference name `\(name.escapedForDisplay)` is not the manifest's own (\(snapshot.repo)@\(snapshot.commit))")
        }
        let config = try blob(rendered.configDigest, size: Int64(rendered.config.count), limit: rendered.config.count, store: store)
        guard config == rendered.config else {
            throw .malformed(archive: archive, member: "blobs/sha256/\(rendered.configDigest.hex)", reason: "not the config of its manifest")
        }
        for file in snapshot.files {
            guard let quarantine = staged[file.sha256] else {
                throw .missing(archive: archive, what: "blobs/sha256/\(file.sha256.hex) (\(file.path) of \(name))")
            }
            guard quarantine.bytesWritten == file.size else {
                throw .malformed(archive: archive, member: "blobs/sha256/\(file.sha256.hex)", reason: "\(quarantine.bytesWritten) bytes, where the manifest says \(file.size)")
            }
        }
        return Model(snapshot: snapshot, referenceName: name, manifest: descriptor.digest)
    }

    /// A referrer manifest in modelpin's attachment form, attached to a model of the archive: it
    /// must render back to its own digest from its artifact type, title and payload.
    private func readReferrer(_ descriptor: Descriptor, entry: Int, store: Store) throws(ArchiveImportError) -> Attached {
        let member = "blobs/sha256/\(descriptor.digest.hex)"
        let bytes = try blob(descriptor.digest, size: descriptor.size, limit: SnapshotManifest.maximumSize, store: store)
        let document: ReferrerDocument
        do {
            document = try StoreJSON.decode(ReferrerDocument.self, from: bytes)
        } catch {
            throw .malformed(archive: archive, member: member, reason: "not an attachment manifest: \(StoreJSON.explain(error))")
        }
        guard let model = models.first(where: { $0.manifest == document.subject.digest }) else {
            throw .malformed(archive: archive, member: member, reason: "attached to \(document.subject.digest), which is no model of the archive")
        }
        guard document.layers.count == 1, let payload = document.layers.first, let title = payload.annotations?[SnapshotManifest.Key.title] else {
            throw .malformed(archive: archive, member: member, reason: "an attachment has exactly one titled layer")
        }
        let bytesOfPayload = try blob(payload.digest, size: payload.size, limit: 16 << 20, store: store)
        let attachment = Attachment(artifactType: document.artifactType, name: title, payload: bytesOfPayload)
        let subject = Descriptor(mediaType: MediaType.imageManifest, digest: model.manifest, size: document.subject.size)
        guard ReferrerManifest.render(attachment, subject: subject).manifest.descriptor.digest == descriptor.digest else {
            throw .malformed(archive: archive, member: member, reason: "does not render back to its own digest: not an attachment modelpin wrote")
        }
        return Attached(subject: model.manifest, attachment: attachment)
    }

    /// A small staged blob read whole, at the size its descriptor gives.
    private func blob(_ digest: SHA256Digest, size: Int64, limit: Int, store: Store) throws(ArchiveImportError) -> [UInt8] {
        let member = "blobs/sha256/\(digest.hex)"
        guard let quarantine = staged[digest] else { throw .missing(archive: archive, what: member) }
        guard quarantine.bytesWritten == size, size <= Int64(limit) else {
            throw .malformed(archive: archive, member: member, reason: "\(quarantine.bytesWritten) bytes, where its descriptor says \(size) (at most \(limit))")
        }
        let bytes: [UInt8]?
        do {
            bytes = try store.readIfPresent(quarantine.path, limit: limit)
        } catch {
            throw .store(error)
        }
        // Sealed with this digest: other bytes now mean the temp file changed under us.
        guard let bytes, SnapshotManifest.digest(bytes) == digest else { throw .missing(archive: archive, what: member) }
        return bytes
    }
}

extension Store {
    /// Reads the OCI archive at `path` into the store's temp area: every blob streamed into a
    /// quarantine and checked against its name as it arrives, then the layout's documents
    /// checked (see `StagedArchive`). Throws at the first problem, with everything staged so far
    /// removed. Nothing enters the store's blobs or index here.
    public func stageArchive(_ path: FilePath) throws(ArchiveImportError) -> StagedArchive {
        let name = path.lastComponent?.string ?? path.string
        let input: FileDescriptor
        do {
            input = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch {
            throw .store(.io(operation: "open", path: path, error as? Errno ?? .ioError))
        }
        defer { try? input.close() }
        var reader = TarReader(input: input, archive: name)
        let storeLock: FileDescriptor
        do {
            storeLock = try acquireSharedStoreLock()
        } catch {
            throw .store(error)
        }
        var blobs: [SHA256Digest: Quarantine] = [:]
        var layout: [UInt8]?
        var index: [UInt8]?
        do {
            while let member = try reader.next() {
                switch (member.name, member.kind) {
                case ("blobs", .directory), ("blobs/sha256", .directory):
                    continue
                case ("oci-layout", .file):
                    layout = try Self.small(&reader, member, limit: 4 << 10, archive: name)
                case ("index.json", .file):
                    index = try Self.small(&reader, member, limit: SnapshotManifest.maximumSize, archive: name)
                default:
                    guard member.kind == .file, member.name.hasPrefix("blobs/sha256/"),
                          let digest = try? SHA256Digest(parsing: "sha256:" + member.name.dropFirst("blobs/sha256/".count))
                    else { throw ArchiveImportError.unexpected(archive: name, member: member.name) }
                    let quarantine = try makeQuarantine(source: "\(name): \(member.name)", sizeLimit: member.size, .caller)
                    blobs[digest] = quarantine
                    try reader.readBody { try quarantine.write($0) }
                    let actual = try quarantine.seal()
                    guard actual == digest else { throw ArchiveImportError.tampered(archive: name, member: member.name, actual: actual) }
                }
            }
        } catch {
            for quarantine in blobs.values { quarantine.discard() }
            try? storeLock.close()
            switch error {
            case let error as ArchiveImportError: throw error
            case let error as TarReader.Failure: throw .tar(error)
            case let error as StoreError: throw .store(error)
            default: throw .store(.io(operation: "read", path: path, .ioError))
            }
        }
        let result = StagedArchive(archive: name, staged: blobs, storeLock: storeLock)
        guard let layout else { throw .missing(archive: name, what: "oci-layout") }
        guard (try? StoreJSON.decode(OCILayoutMarker.self, from: layout))?.imageLayoutVersion == OCILayoutMarker.supportedVersion else {
            throw .malformed(archive: name, member: "oci-layout", reason: "not an OCI image layout \(OCILayoutMarker.supportedVersion) marker")
        }
        guard let index else { throw .missing(archive: name, what: "index.json") }
        try result.readDocuments(index: index, store: self)
        return result
    }

    /// A small member read whole (oci-layout, index.json).
    private static func small(_ reader: inout TarReader, _ member: TarReader.Member, limit: Int, archive: String) throws -> [UInt8] {
        guard member.size <= Int64(limit) else {
            throw ArchiveImportError.malformed(archive: archive, member: member.name, reason: "\(member.size) bytes (at most \(limit))")
        }
        var bytes: [UInt8] = []
        try reader.readBody { bytes += $0 }
        return bytes
    }
}

extension SnapshotIndex {
    /// The annotation `key` of entry `index`, if it has one.
    func annotation(_ key: String, at index: Int) -> String? {
        manifests[index].object?["annotations"]?.object?[key]?.string
    }
}
