public import PinModel
import PinDigest
import SystemPackage

/// One reference name in `index.json` and the snapshot it names (`store snapshots`).
public struct SnapshotListing: Sendable, Equatable, Encodable {
    /// `OWNER/NAME:REVISION` (see `SnapshotReference`).
    public let name: String
    public let manifest: SHA256Digest
    public let repo: String?
    public let commit: String?
    public let files: Int?
    public let bytes: Int64?
    /// Why the manifest could not be read (missing, changed, malformed); nil when it was.
    public let problem: String?
}

extension Store {
    /// Serializes read-modify-write updates of `index.json` between processes (and threads).
    var indexLockFile: FilePath { locksDirectory.appending("index.json.lock") }

    /// Records `snapshot` in `index.json` under its commit's name and, when given, the name of
    /// the revision it was resolved from (an alias: it moves to this commit). Every file must
    /// already be in the store at its size: call this only after the files were verified and
    /// scanned. Returns the manifest's digest.
    ///
    /// A commit's name never moves to other content: a later record of the same commit adds the
    /// files it has that the recorded one lacks (a pull with other `--include` patterns), and a
    /// file recorded with other bytes is refused (`.snapshotConflict`): history was rewritten or
    /// a server lied. Entries of `index.json` modelpin did not write are kept as they are.
    @discardableResult
    public func recordSnapshot(_ snapshot: StoredSnapshot, revision: String?) throws(StoreError) -> SHA256Digest {
        try recordSnapshots([(snapshot, revision)])[0]
    }

    /// `recordSnapshot` for several snapshots at once (a project's models): `index.json` is read
    /// once and written at most once. Returns each manifest's digest, in order.
    @discardableResult
    public func recordSnapshots(_ snapshots: [(snapshot: StoredSnapshot, revision: String?)]) throws(StoreError) -> [SHA256Digest] {
        try withStoreLock(.shared) { () throws(StoreError) in
            let lock = try acquireExclusiveLock(indexLockFile)
            defer { try? lock.close() }
            let original = try readSnapshotIndex()
            var index = original ?? SnapshotIndex()
            var digests: [SHA256Digest] = []
            for (snapshot, revision) in snapshots {
                digests.append(try record(snapshot, revision: revision, in: &index))
            }
            // A pull of what is already recorded (every no-op locked pull) writes nothing.
            if index != original { try writeAtomically(index.rendered(), to: indexFile) }
            return digests
        }
    }

    /// One snapshot into `index`.
    private func record(_ snapshot: StoredSnapshot, revision: String?, in index: inout SnapshotIndex) throws(StoreError) -> SHA256Digest {
        let commitName = SnapshotReference.name(repo: snapshot.repo, revision: snapshot.commit)
        var names = commitName.map { [$0] } ?? []
        if let revision, revision != snapshot.commit, !SnapshotManifest.isCommit(revision),
           let alias = SnapshotReference.name(repo: snapshot.repo, revision: revision) {
            names.append(alias)
        }
        let previous = commitName.flatMap { name in index.entries(named: name).first.flatMap { try? index.descriptor(at: $0) } }
        // Recorded already, exactly so, under every name (every pull of what it pulled before):
        // the record key decides, with no manifest rendered or read and nothing written. Its
        // blobs were checked when it was recorded, and the store's blobs do not change.
        let key = SnapshotManifest.recordKey(snapshot)
        if let previous, names.allSatisfy({ index.records($0, as: key) }) {
            return previous.digest
        }
        try checkRecordable(snapshot)
        guard let commitName else { throw .invalidSnapshot(repo: snapshot.repo.description, ["no reference name for \(snapshot.commit)"]) }
        var merged = snapshot
        var recorded: StoredSnapshot?
        if let previous, let old = try? readSnapshotManifest(previous, name: commitName),
           old.repo == snapshot.repo, old.commit == snapshot.commit {
            merged = try Self.merge(old, snapshot)
            recorded = old
        }
        let descriptor = try storeManifest(of: merged, recorded: recorded, at: previous)
        // Other names of the same commit's smaller manifest follow it to the grown one.
        if let previous, previous.digest != descriptor.digest {
            for position in index.manifests.indices where (try? index.descriptor(at: position))?.digest == previous.digest {
                if let name = index.referenceName(at: position), name.hasPrefix(snapshot.repo.description + ":") {
                    names.append(name)
                }
            }
        }
        for name in names { index.set(name, to: descriptor, record: key) }
        return descriptor.digest
    }

    /// The manifest of `snapshot` in the store: the one recorded at `previous` when the
    /// snapshot adds nothing to it (every pull of what is already recorded: nothing rendered,
    /// nothing written), else a new one, rendered and stored with its config.
    func storeManifest(of snapshot: StoredSnapshot, recorded: StoredSnapshot?, at previous: Descriptor?) throws(StoreError) -> Descriptor {
        var snapshot = snapshot
        snapshot.manifest = nil
        if var recorded, let previous {
            recorded.manifest = nil
            if recorded == snapshot { return previous }
        }
        let rendered = SnapshotManifest.render(snapshot)
        try storeMetadataBlob(rendered.config, digest: rendered.configDigest)
        try storeMetadataBlob(rendered.manifest, digest: rendered.manifestDigest)
        return Descriptor(mediaType: MediaType.imageManifest, digest: rendered.manifestDigest, size: Int64(rendered.manifest.count))
    }

    /// Every reference name in `index.json` with the snapshot it names. An entry whose manifest
    /// cannot be read is listed with the reason, not skipped and not fatal.
    public func snapshots() throws(StoreError) -> [SnapshotListing] {
        guard let index = try readSnapshotIndex() else { return [] }
        var listings: [SnapshotListing] = []
        for position in index.manifests.indices {
            guard let name = index.referenceName(at: position) else { continue }
            let descriptor: Descriptor
            do {
                descriptor = try index.descriptor(at: position)
            } catch {
                continue  // another tool's entry (an image index, another digest algorithm)
            }
            do {
                let snapshot = try readSnapshotManifest(descriptor, name: name)
                listings.append(SnapshotListing(
                    name: name, manifest: descriptor.digest, repo: snapshot.repo.description, commit: snapshot.commit,
                    files: snapshot.files.count, bytes: snapshot.files.reduce(0) { $0 + $1.size }, problem: nil))
            } catch {
                listings.append(SnapshotListing(
                    name: name, manifest: descriptor.digest, repo: nil, commit: nil, files: nil, bytes: nil,
                    problem: ([error.description] + error.causes).joined(separator: ": ")))
            }
        }
        return listings.sorted { $0.name < $1.name }
    }

    /// The snapshot recorded for `revision` (a full commit id, or a branch or tag a pull was
    /// asked for) of `repo`, or nil when none is. `index.json` and the manifest are read as
    /// untrusted input: the manifest must hash to the digest `index.json` names, every path
    /// must pass `PathSafety`, and it must be a snapshot of `repo` (and of `revision`, when that
    /// is a commit); anything else is an error naming the file and the field.
    public func snapshot(repo: RepoID, revision: String) throws(StoreError) -> StoredSnapshot? {
        guard let name = SnapshotReference.name(repo: repo, revision: revision),
              let index = try readSnapshotIndex(),
              let position = index.entries(named: name).first
        else { return nil }
        let descriptor: Descriptor
        do {
            descriptor = try index.descriptor(at: position)
        } catch {
            throw .malformedMetadata(file: indexFile, reason: "the entry named `\(name)`: \(error)")
        }
        let snapshot = try readSnapshotManifest(descriptor, name: name)
        guard snapshot.repo.description == repo.description else {
            throw .malformedMetadata(file: indexFile, reason: "`\(name)` names a snapshot of `\(snapshot.repo)`")
        }
        if SnapshotManifest.isCommit(revision), snapshot.commit != revision {
            throw .malformedMetadata(file: indexFile, reason: "`\(name)` names a snapshot of commit \(snapshot.commit)")
        }
        return snapshot
    }

    /// Removes the reference `reference` from `index.json` — or, given `OWNER/NAME` without a
    /// revision, every reference of that repo. The blobs stay until `gc` finds nothing else
    /// referencing them. Returns the names removed; `.snapshotNotFound` when there were none.
    @discardableResult
    public func forgetSnapshots(_ reference: String) throws(StoreError) -> [String] {
        try withStoreLock(.shared) { () throws(StoreError) in
            let lock = try acquireExclusiveLock(indexLockFile)
            defer { try? lock.close() }
            guard var index = try readSnapshotIndex() else { throw .snapshotNotFound(reference) }
            var removed: [String] = []
            for position in index.manifests.indices.reversed() {
                guard let name = index.referenceName(at: position),
                      name == reference || (!reference.contains(":") && name.hasPrefix(reference + ":"))
                else { continue }
                removed.append(name)
                index.manifests.remove(at: position)
            }
            guard !removed.isEmpty else { throw .snapshotNotFound(reference) }
            try writeAtomically(index.rendered(), to: indexFile)
            return removed.sorted()
        }
    }

    // MARK: Parts

    /// What `recordSnapshot` requires of its input: a full commit id, safe paths, and every
    /// file present in the store at its size.
    func checkRecordable(_ snapshot: StoredSnapshot) throws(StoreError) {
        var problems: [String] = []
        if !SnapshotManifest.isCommit(snapshot.commit) {
            problems.append("`\(snapshot.commit.escapedForDisplay)` is not a full commit id")
        }
        problems += PathSafety.problems(in: snapshot.files.map(\.path))
        for file in snapshot.files {
            // One lstat and one stamp read per file, as every use of a blob costs (a re-hash
            // only if the blob's file changed since it was verified).
            let blob = blobPath(file.sha256)
            guard let status = (try? FileSystem.entry(at: blob)) ?? nil, status.type == .regular, status.size == file.size,
                  (try? checkIntact(file.sha256, at: blob, status)) != nil
            else {
                problems.append("`\(file.path.escapedForDisplay)`: \(file.sha256) is not in the store at \(file.size) bytes")
                continue
            }
        }
        if !problems.isEmpty { throw .invalidSnapshot(repo: snapshot.repo.description, problems) }
    }

    /// The union of two records of one commit; a path recorded with other bytes is refused.
    static func merge(_ old: StoredSnapshot, _ new: StoredSnapshot) throws(StoreError) -> StoredSnapshot {
        var byPath = Dictionary(uniqueKeysWithValues: old.files.map { ($0.path, $0) })
        var differences: [String] = []
        for file in new.files {
            guard let recorded = byPath[file.path] else {
                byPath[file.path] = file
                continue
            }
            if recorded.sha256 != file.sha256 || recorded.size != file.size {
                differences.append("`\(file.path.escapedForDisplay)`: recorded \(recorded.sha256) (\(recorded.size) bytes), now \(file.sha256) (\(file.size) bytes)")
            } else if recorded.gitBlobID == nil {
                byPath[file.path] = file  // the new record knows the git blob id
            }
        }
        guard differences.isEmpty else {
            throw .snapshotConflict(repo: new.repo.description, commit: new.commit, differences)
        }
        return StoredSnapshot(repo: old.repo, commit: old.commit, endpoint: old.endpoint ?? new.endpoint, files: Array(byPath.values))
    }

    /// `index.json` as a document, or nil when the store has none.
    func readSnapshotIndex() throws(StoreError) -> SnapshotIndex? {
        guard let bytes = try readIfPresent(indexFile) else { return nil }
        do {
            return try SnapshotIndex.parse(bytes)
        } catch {
            throw .malformedMetadata(file: indexFile, reason: error.description)
        }
    }

    /// Reads the manifest `descriptor` points at: present and intact in the store, exactly
    /// `descriptor.size` bytes that hash to its digest, and a well-formed snapshot manifest.
    func readSnapshotManifest(_ descriptor: Descriptor, name: String) throws(StoreError) -> StoredSnapshot {
        let blob: FilePath
        do {
            blob = try path(of: descriptor.digest)
        } catch .blobNotFound {
            throw .malformedMetadata(file: indexFile, reason: "`\(name)` names the manifest \(descriptor.digest), which is not in the store")
        }
        guard let bytes = try readIfPresent(blob, limit: SnapshotManifest.maximumSize) else {
            throw .malformedMetadata(file: indexFile, reason: "`\(name)` names the manifest \(descriptor.digest), which is not in the store")
        }
        guard Int64(bytes.count) == descriptor.size, SnapshotManifest.digest(bytes) == descriptor.digest else {
            throw .malformedMetadata(
                file: blob, reason: "is not the manifest `\(name)` names in index.json (\(descriptor.size) bytes, \(descriptor.digest))")
        }
        do {
            return try SnapshotManifest.parse(bytes)
        } catch {
            throw .malformedMetadata(file: blob, reason: "the manifest of `\(name)`: \(error)")
        }
    }

    /// Adds a small blob (a config, a manifest) through the store's usual path: quarantine,
    /// hash, fsync, rename. A blob already present and intact is left as it is.
    func storeMetadataBlob(_ bytes: [UInt8], digest: SHA256Digest) throws(StoreError) {
        if (try? path(of: digest)) != nil { return }
        let quarantine = try makeQuarantine(source: "snapshot metadata \(digest)", sizeLimit: Int64(bytes.count))
        let failure: StoreError? = bytes.withUnsafeBytes { buffer in
            do throws(StoreError) {
                try quarantine.write(buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        _ = try promote(quarantine, expecting: BlobExpectation(digest: digest, size: Int64(bytes.count)))
    }
}
