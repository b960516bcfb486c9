public import PinLock
public import PinModel
public import SystemPackage

/// Why a project command (`lock`, `pull` from a lock, `verify`, `mirror`…) stopped.
public enum ProjectError: ModelpinError {
    case noManifest(FilePath)
    case unwritable(FilePath, Errno)
    case sharedDirectory(FilePath, first: String, second: String, directory: FilePath)
    case unknownAlias(String, manifest: FilePath, known: [String])
    case aliasExists(String, manifest: FilePath)
    case invalidAlias(String, reason: String)
    /// `--locked`: there is no lock at all (a different mistake from a stale one).
    case lockMissing(FilePath)
    /// `--locked`: the lock does not answer the manifest.
    case lockOutdated(FilePath, [LockDrift])
    /// `lock --check`: the lock is missing (`drift` empty, `missing` true), or does not answer
    /// the manifest (`drift`), or holds merge-conflict markers (`conflictLine`).
    case lockCheckFailed(FilePath, missing: Bool, drift: [LockDrift], conflictLine: Int?)
    /// `--locked` (or a signed lock): the lock holds merge-conflict markers (first at `line`),
    /// so it answers nothing; `disputed` are the models its two sides lock differently.
    case lockConflicted(FilePath, line: Int, disputed: [String])
    /// `--offline` but the lock must be (re)made, which needs the Hub.
    case offlineNeedsResolve(FilePath, [LockDrift])
    /// The Hub now describes a locked file differently at the same commit.
    case historyRewritten(alias: String, repo: String, commit: String, differences: [String])
    /// No source had a blob (or every one served wrong bytes).
    case blobsUnavailable([String], offline: Bool, refused: Bool = false)
    /// Every missing blob failed because its source could not be reached or answered only
    /// temporary failures (a Hub that is down): worth running again later.
    case sourcesUnavailable([String], missing: [String], reason: String)
    /// `mirror`: the store lacks blobs the lock names.
    case notInStore([String])
    /// `verify` found problems.
    case verificationFailed(count: Int)
    case badMirror(String, reason: String)
    /// `--offline` (or `--frozen`) with an http(s) mirror, which needs the network.
    case networkMirrorOffline(String)
    case notLocked(alias: String, lock: FilePath)
    /// A signed checksum list names another digest for a file than the lock (or the Hub) does.
    case signedDigestDiffers(alias: String, path: String, signed: SHA256Digest, locked: SHA256Digest)
    /// Signers are required but some files are vouched for by no signature.
    case unsigned(alias: String, repo: String, paths: [String])
    case signatureDocumentTooLarge(path: String, size: Int64, limit: Int64)
    /// Only OMS signers are pinned, and the snapshot has no `model.sig` at its root.
    case noModelSignature(alias: String, repo: String)
    /// The model's `model.sig` was refused (a bad or foreign signature, a file it does not
    /// list or lists with other bytes…): PinModelSigning's error, which names the file.
    case modelSignatureRefused(alias: String, any ModelpinError)
    /// A `model.sig` certificate chains to a CA in the keyring, but its identity is not pinned.
    case modelSignerNotPinned(alias: String, signer: String, pinned: [String])
    /// Signers are required and these files look like signatures or checksum lists, but none
    /// verified as one and no signature vouches for them as files.
    case unverifiedSignatureFiles(alias: String, repo: String, paths: [String])
    /// Another pinned key signed this time than when the model was locked.
    case signerChanged(alias: String, locked: String, now: String)
    /// `--require-signed-lock`: the lock has no signature beside it.
    case lockUnsigned(FilePath)
    /// `--require-signed-lock`, but the user pinned no lock signer (`source`: where modelpin
    /// looked).
    case noLockSigners(source: String)
    /// A lock entry names a path that cannot be written safely (a hand-edited lock).
    case unsafeLockedPaths(alias: String, lock: FilePath?, [String])
    /// A registry model that pins signers has an attachment that fails its check.
    case attachmentRefused(alias: String, name: String, reason: String)
    /// `import FILE.tar --lock`: the archive's lock cannot go into the project (`reason`).
    case archiveLock(String, String)

    public var kind: FailureKind {
        switch self {
        case .noManifest, .unwritable: .operational
        case .notInStore, .archiveLock, .attachmentRefused: .refused
        case .sourcesUnavailable: .unavailable
        case .blobsUnavailable(_, let offline, let refused): offline || refused ? .refused : .operational
        case .unknownAlias, .invalidAlias, .badMirror, .networkMirrorOffline: .usage
        case .lockCheckFailed, .lockConflicted: .refused
        case .sharedDirectory, .aliasExists, .lockMissing, .lockOutdated, .offlineNeedsResolve, .historyRewritten,
             .verificationFailed, .notLocked, .unsafeLockedPaths, .signedDigestDiffers, .unsigned,
             .signatureDocumentTooLarge, .signerChanged, .lockUnsigned:
            .refused
        case .unverifiedSignatureFiles, .noLockSigners, .noModelSignature, .modelSignerNotPinned: .refused
        case .modelSignatureRefused(_, let error): error.kind
        }
    }

    public var description: String {
        switch self {
        case .noManifest(let directory): "no `\(Manifest.fileName)` in `\(directory)` or any directory above it"
        case .unwritable(let path, _): "cannot write `\(path)`"
        case .sharedDirectory(let manifest, let first, let second, let directory):
            "`\(manifest)`: models `\(first)` and `\(second)` would both be laid out in `\(directory)`"
        case .unknownAlias(let alias, let manifest, _): "`\(manifest)` has no model `\(alias.escapedForDisplay)`"
        case .aliasExists(let alias, let manifest): "`\(manifest)` already has a model `\(alias)`"
        case .invalidAlias(let alias, _): "`\(alias.escapedForDisplay)` cannot be a model alias"
        case .lockMissing(let lock): "`\(lock)` does not exist, but --locked was given"
        case .lockOutdated(let lock, _): "`\(lock)` needs to be updated, but --locked was given"
        case .lockCheckFailed(let lock, let missing, _, let line):
            missing ? "`\(lock)` does not exist"
                : line.map { "`\(lock)` has unresolved merge-conflict markers (line \($0)), so it does not answer `\(Manifest.fileName)`" }
                ?? "`\(lock)` does not answer `\(Manifest.fileName)`"
        case .lockConflicted(let lock, let line, _):
            "`\(lock)` has unresolved merge-conflict markers (line \(line)), so it answers nothing, but --locked was given"
        case .offlineNeedsResolve(let lock, _): "`\(lock)` needs to be updated, which needs the Hub, but --offline was given"
        case .historyRewritten(let alias, let repo, let commit, _):
            "`\(alias)`: the Hub now describes \(repo) at commit \(commit) differently from the lock (rewritten history or a tampered server)"
        case .blobsUnavailable(let missing, let offline, _):
            "\(missing.count == 1 ? "1 locked file is" : "\(missing.count) locked files are") not in the store" + (offline ? " and --offline was given" : " and no source could provide them")
        case .archiveLock(let archive, let reason): "\(archive): \(reason)"
        case .attachmentRefused(let alias, let name, let reason): "`\(alias)` pins its signers, and its registry's attachment \(name) failed its check: \(reason)"
        case .notInStore(let missing): "\(missing.count == 1 ? "1 locked file is" : "\(missing.count) locked files are") not in the store"
        case .sourcesUnavailable(let sources, let missing, _):
            sources.map { "`\($0)`" }.joined(separator: " and ") + " could not be reached: "
                + (missing.count == 1 ? "1 locked file is" : "\(missing.count) locked files are") + " not in the store"
        case .verificationFailed(let count): "\(count == 1 ? "1 problem" : "\(count) problems") found"
        case .badMirror(let text, _): "`\(text.escapedForDisplay)` is not a usable mirror"
        case .networkMirrorOffline(let mirror):
            "--mirror \(mirror.escapedForDisplay) needs the network, but --offline (or --frozen) was given"
        case .notLocked(let alias, let lock): "model `\(alias)` is not in `\(lock)`"
        case .signedDigestDiffers(let alias, let path, _, _):
            "`\(alias)`: the signed checksum list names another digest for `\(path)` than the lock"
        case .unsigned(let alias, let repo, let paths):
            "`\(alias)`: no signature by a pinned signer covers \(paths.count == 1 ? "`\(paths[0])`" : "\(paths.count) files") of \(repo)"
        case .unverifiedSignatureFiles(let alias, _, let paths):
            "`\(alias)`: " + (paths.count == 1 ? "`\(paths[0])` looks" : "\(paths.count) files look")
                + " like a signature, but " + (paths.count == 1 ? "it is" : "they are")
                + " not a good signature by a pinned signer over the file named, and no signature vouches for "
                + (paths.count == 1 ? "it" : "them")
        case .signatureDocumentTooLarge(let path, let size, let limit):
            "`\(path)` is \(size) bytes, more than any signature document may be (\(limit))"
        case .noModelSignature(let alias, let repo):
            "`\(alias)`: only OMS signers are pinned, but \(repo) has no `model.sig` at its root"
        case .modelSignatureRefused(let alias, let error): "`\(alias)`: \(error.description)"
        case .modelSignerNotPinned(let alias, let signer, _):
            "`\(alias)`: model.sig is signed by \(signer), which is not among the pinned signers"
        case .signerChanged(let alias, let locked, let now):
            "`\(alias)` is now signed by \(now), but the lock records \(locked)"
        case .noLockSigners(let source):
            "--require-signed-lock was given, but no lock signer is pinned (looked in MODELPIN_LOCK_SIGNERS and `\(source)`)"
        case .lockUnsigned(let lock): "`\(lock)` has no signature (`\(lock.lastComponent?.string ?? "modelpin.lock").asc`), but --require-signed-lock was given"
        case .unsafeLockedPaths(let alias, let lock, _):
            "model `\(alias)`" + (lock.map { " in `\($0)`" } ?? "") + " names paths that cannot be written safely"
        }
    }

    public var causes: [String] {
        switch self {
        case .unwritable(_, let errno): [errno.description]
        case .sharedDirectory: ["each pull removes files the other model put there"]
        case .unknownAlias(_, _, let known): known.isEmpty ? ["it has no models"] : ["its models: " + known.joined(separator: ", ")]
        case .invalidAlias(_, let reason): [reason]
        case .lockOutdated(_, let drift), .offlineNeedsResolve(_, let drift), .lockCheckFailed(_, _, let drift, _): drift.map(\.description)
        case .lockConflicted(_, _, let disputed):
            disputed.isEmpty ? ["its two sides lock the same models alike"] : ["its two sides lock differently: " + disputed.joined(separator: ", ")]
        case .historyRewritten(_, _, _, let differences): differences
        case .blobsUnavailable(let missing, _, _), .notInStore(let missing):
            Array(missing.prefix(20)) + (missing.count > 20 ? ["… and \(missing.count - 20) more"] : [])
        case .badMirror(_, let reason): [reason]
        case .sourcesUnavailable(_, let missing, let reason):
            [reason] + Array(missing.prefix(5)) + (missing.count > 5 ? ["… and \(missing.count - 5) more"] : [])
        case .unsafeLockedPaths(_, _, let problems): problems
        case .signedDigestDiffers(_, _, let signed, let locked): ["signed: \(signed)", "locked: \(locked)"]
        case .unsigned(_, _, let paths): paths.count > 1 ? Array(paths.prefix(20)) : []
        case .unverifiedSignatureFiles(_, _, let paths): paths.count > 1 ? Array(paths.prefix(20)) : []
        case .signerChanged: ["a different key of the pinned signers, or a key swapped on the Hub"]
        case .modelSignatureRefused(_, let error): error.causes
        case .modelSignerNotPinned(_, _, let pinned): ["pinned: " + pinned.joined(separator: ", ")]
        default: []
        }
    }

    public var hint: String? {
        switch self {
        case .noManifest: "run `modelpin init` to start one, or pass --manifest PATH"
        case .sharedDirectory: "give one of them its own `to = \"models/…\"`"
        case .unknownAlias: "`modelpin list` shows the models; `modelpin add ORG/NAME` adds one"
        case .aliasExists: "choose another name with --as ALIAS, or `modelpin remove` the old one first"
        case .invalidAlias: "use letters, digits, `-` and `_` (at most 64), starting with a letter or digit; or pass --as ALIAS"
        case .lockMissing: "run `modelpin lock` and commit `\(Lockfile.fileName)`"
        case .lockOutdated: "run `modelpin lock` to update it, review the diff, and commit it"
        case .lockCheckFailed(_, let missing, _, let line):
            missing ? "run `modelpin lock` and commit `\(Lockfile.fileName)`"
                : line != nil ? "run `modelpin lock`: it re-resolves the lock from \(Manifest.fileName), keeping the commits both sides of the conflict agree on"
                : "run `modelpin lock` to update it, review the diff, and commit it"
        case .lockConflicted:
            "run `modelpin lock`: it re-resolves the lock from \(Manifest.fileName), keeping the commits both sides of the conflict agree on; review the diff and commit it"
        case .offlineNeedsResolve: "run `modelpin lock` where the Hub is reachable"
        case .historyRewritten:
            "nothing was changed; if the change is legitimate, remove the model from the lock (`modelpin lock --update ALIAS` after deleting its entry) and review what you get"
        case .blobsUnavailable(_, let offline, _):
            offline ? "pull once with network access, or pass --mirror file:///path/to/a/mirror made by `modelpin mirror`"
                : "check the mirrors and the endpoint; every byte is checked against the lock, so a source with other bytes is skipped"
        case .archiveLock: "nothing was imported; run `import` without --lock to take the models alone"
        case .attachmentRefused: "nothing was laid out; find out who attached it (`modelpin pull oci://… --json` lists every attachment), and remove it from the registry or import its signer's key"
        case .notInStore: "run `modelpin pull --locked` first, so that every blob is in the store"
        case .sourcesUnavailable:
            "nothing is wrong with the lock: run the same command again later (what arrived is kept), or pass --mirror"
        case .verificationFailed: "run `modelpin pull` to restore the files from the store (or the network)"
        case .badMirror: "a mirror is an http(s):// URL or a file:// directory laid out as `blobs/sha256/<hex>` (see `modelpin mirror`)"
        case .networkMirrorOffline: "offline pulls read only the store and mirror directories: pass a directory made by `modelpin mirror` (file:///path or a path), or drop --offline"
        case .notLocked: "run `modelpin lock`"
        case .unsafeLockedPaths: "the lock was edited by hand; restore it from version control or run `modelpin lock`"
        case .signedDigestDiffers: "nothing was laid out; the file or the signed list was changed after signing"
        case .unsigned: "the repo must publish SHA256SUMS with SHA256SUMS.asc (or a .asc beside each file) signed by a key in `signers`"
        case .unverifiedSignatureFiles(_, let repo, _):
            "nothing was laid out; ask the publisher of \(repo) to sign it, list it in the signed SHA256SUMS, or remove it"
        case .signatureDocumentTooLarge: "nothing was verified; a signature is a few hundred bytes"
        case .noModelSignature:
            "the repo must publish a model.sig (OpenSSF model signing) by a signer in `signers`, or pin the publisher's OpenPGP fingerprint"
        case .modelSignatureRefused(_, let error): error.hint ?? "nothing was laid out"
        case .modelSignerNotPinned:
            "if this certificate identity is the publisher's, add `oms-cert:IDENTITY` to `signers` in modelpin.toml and run `modelpin lock`"
        case .signerChanged: "if the new signer is expected, change `signers` in modelpin.toml and run `modelpin lock`"
        case .noLockSigners:
            "pin the fingerprints of the people who sign locks: MODELPIN_LOCK_SIGNERS=FPR[,FPR…], or `lock-signers = [\"FPR\"]` in ~/.config/modelpin/config.toml — never in modelpin.toml, which the lock's own pull request can change"
        case .lockUnsigned: "have the lock reviewed and signed with `modelpin sign`, and commit modelpin.lock.asc"
        default: nil
        }
    }
}
