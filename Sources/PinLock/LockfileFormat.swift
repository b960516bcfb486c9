import PinModel
import TOMLKit

/// `modelpin.lock` on disk.
///
/// Rendering is canonical — the same lock is always the same bytes: models sorted by alias,
/// files by path, a fixed key order, no timestamps and no tool version — so that relocking an
/// unchanged project changes nothing, and a change in review is exactly the change in what is
/// downloaded (the churn cargo and uv locks suffered from timestamps and tool versions is
/// avoided by construction).
///
/// Parsing is strict: every field required with its type, unknown keys refused (a newer format
/// bumps `version` instead of adding keys this version would skip), digests parsed exactly.
/// Errors name the field (`model[1].file[3].sha256`, 1-based in file order), its line, and the
/// model and file by alias and path.
public enum LockfileFormat {
    static let defaultHint =
        "modelpin.lock is written by modelpin; restore it from version control or run `modelpin lock`"

    static let header = """
        # modelpin.lock — written by modelpin; do not edit by hand.
        # It records exactly what `modelpin lock` resolved: run `modelpin lock --update` to change it.
        version = 1

        """

    static let topLevelKeys = ["version", "policy-digest", "model"]
    static let modelKeys = [
        "alias", "requested-repo", "requested-revision", "include", "exclude", "endpoint", "repo", "commit", "file",
        "signers", "signature-kind", "signed-by", "signatures", "scanner", "source", "policy", "policy-reasons",
        "manifest",
    ]
    static let fileKeys = ["path", "size", "sha256", "git-blob-id", "lfs", "verdict", "accepted"]

    // MARK: Rendering

    public static func render(_ lock: Lockfile) -> String {
        var text = header
        // Only when a policy applied, so that every lock made without one stays as it was.
        if let digest = lock.policyDigest {
            text += "policy-digest = \(TOMLText.basicString(digest.description))\n"
        }
        for model in lock.models.sorted(by: { $0.alias < $1.alias }) {
            text += """

                [[model]]
                alias = \(TOMLText.basicString(model.alias.rawValue))
                requested-repo = \(TOMLText.basicString(model.requestedRepo))
                requested-revision = \(TOMLText.basicString(model.requestedRevision))
                include = \(TOMLText.stringArray(model.include))
                exclude = \(TOMLText.stringArray(model.exclude))
                endpoint = \(TOMLText.basicString(model.endpoint))
                repo = \(TOMLText.basicString(model.repo))

                """
            // A registry's snapshot is pinned by its manifest's digest, not a git commit.
            if model.isOCI, let manifest = model.commit.ociManifest {
                text += "manifest = \(TOMLText.basicString(manifest.description))\n"
            } else {
                text += "commit = \(TOMLText.basicString(model.commit.hex))\n"
            }
            // Only for a model not resolved on a Hub, so that every other entry stays as it was.
            if let source = model.source {
                text += "source = \(TOMLText.basicString(source.rawValue))\n"
            }
            // Present only for models that require signers, so that unsigned models' entries
            // (and every lock written before signatures) stay as they were.
            // `signature-kind` only when an OMS `model.sig` vouched: OpenPGP locks read as before.
            if !model.pinnedSigners.isEmpty {
                text += "signers = \(TOMLText.stringArray(model.pinnedSigners.map(\.description)))\n"
                if let kind = model.vouchedBy?.kind, kind != .openpgp {
                    text += "signature-kind = \(TOMLText.basicString(kind.rawValue))\n"
                }
                text += """
                    signed-by = \(TOMLText.basicString(model.vouchedBy?.description ?? ""))
                    signatures = \(TOMLText.stringArray(model.signatures.sorted()))

                    """
            }
            if let scanner = model.scanner {
                text += "scanner = \(TOMLText.basicString(scanner))\n"
            }
            if let policy = model.policy {
                text += """
                    policy = \(TOMLText.basicString(policy.decision.rawValue))
                    policy-reasons = \(TOMLText.stringArray(policy.reasons.sorted()))

                    """
            }
            for file in model.files.sorted(by: { $0.path < $1.path }) {
                text += """

                    [[model.file]]
                    path = \(TOMLText.basicString(file.path))
                    size = \(file.size)
                    sha256 = \(TOMLText.basicString(file.sha256.description))
                    git-blob-id = \(TOMLText.basicString(file.gitBlobID.hex))
                    lfs = \(file.lfs)

                    """
                if let verdict = file.verdict {
                    text += "verdict = \(TOMLText.basicString(verdict.rawValue))\n"
                }
                if !file.accepted.isEmpty {
                    text += "accepted = \(TOMLText.stringArray(file.accepted.sorted()))\n"
                }
            }
        }
        return text
    }

    // MARK: Parsing

    public static func parse(_ text: String, file: String) throws(ProjectFileError) -> Lockfile {
        if let line = MergeConflict.firstMarkerLine(in: text) { throw conflictError(file: file, line: line) }
        let (reader, root) = try TOMLReader.parse(text, file: file, defaultHint: defaultHint)
        let name = file.split(separator: "/").last.map(String.init) ?? file
        guard let versionValue = root["version"] else {
            throw reader.error(nil, "`\(name)` has no `version`; it is not a lock modelpin wrote")
        }
        let version = try reader.integer(versionValue, FieldPath("version"), example: "version = 1")
        if version > Lockfile.currentVersion {
            throw reader.error(
                FieldPath("version"), "`\(name)` is format version \(version); this modelpin reads version \(Lockfile.currentVersion)",
                hint: "upgrade modelpin to the version that wrote it")
        }
        if version < Lockfile.currentVersion {
            throw reader.error(FieldPath("version"), "must be \(Lockfile.currentVersion), not \(version)")
        }
        try reader.checkKeys(root, at: .root, known: topLevelKeys, what: "modelpin.lock's top level")
        let policyDigest = try policyDigest(root, reader)

        var models: [LockedModel] = []
        if let value = root["model"] {
            let elements = try reader.array(value, FieldPath("model"), expected: "an array of `[[model]]` tables")
            for (offset, element) in elements.enumerated() {
                let model = try model(element, FieldPath("model").indexed(offset + 1), reader)
                if models.contains(where: { $0.alias == model.alias }) {
                    throw reader.error(
                        FieldPath("model").indexed(offset + 1).appending("alias"),
                        "model `\(model.alias)` is locked twice")
                }
                models.append(model)
            }
        }
        // A decision means something only with the rules that made it.
        if policyDigest == nil, let index = models.firstIndex(where: { $0.policy != nil }) {
            throw reader.error(
                FieldPath("model").indexed(index + 1).appending("policy"),
                "model `\(models[index].alias)`: `policy` is recorded but the lock has no top-level `policy-digest`")
        }
        return Lockfile(models: models, policyDigest: policyDigest)
    }

    private static func policyDigest(_ root: TOMLTable, _ reader: TOMLReader) throws(ProjectFileError) -> SHA256Digest? {
        guard let value = root["policy-digest"] else { return nil }
        let path = FieldPath("policy-digest")
        let text = try reader.text(value, path, example: "policy-digest = \"sha256:…\"")
        do {
            return try SHA256Digest(parsing: text)
        } catch {
            throw reader.error(path, "`policy-digest` is not a valid digest: \(error.reason)")
        }
    }

    /// A lock left with merge-conflict markers, split into its two sides and each parsed;
    /// nil when `text` has no marker (then `parse` reads it). Either side that is not a valid
    /// lock, or markers out of place, make an error naming the file: no side is guessed.
    public static func parseConflicted(_ text: String, file: String) throws(ProjectFileError) -> ConflictedLock? {
        let conflict: MergeConflict?
        do {
            conflict = try MergeConflict.split(text)
        } catch {
            var refusal = ProjectFileError(
                file: file, line: error.line, column: 1,
                message: "has merge-conflict markers that do not pair up: \(error.reason)",
                hint: "resolve the conflict by hand (or delete `\(Lockfile.fileName)`), then run `modelpin lock`")
            refusal.mergeConflict = true
            throw refusal
        }
        guard let conflict else { return nil }
        func side(_ text: String, _ name: String) throws(ProjectFileError) -> Lockfile {
            do {
                return try parse(text, file: file)
            } catch {
                var located = error
                located.message = "the \(name) side of the merge conflict (line \(conflict.firstMarkerLine)): " + error.message
                located.line = nil
                located.column = nil
                located.mergeConflict = true
                located.hint = "resolve the conflict by hand (or delete `\(Lockfile.fileName)`), then run `modelpin lock`"
                throw located
            }
        }
        return ConflictedLock(
            firstMarkerLine: conflict.firstMarkerLine, ours: try side(conflict.ours, "first (ours)"),
            theirs: try side(conflict.theirs, "second (theirs)"))
    }

    static func conflictError(file: String, line: Int) -> ProjectFileError {
        var error = ProjectFileError(
            file: file, line: line, column: 1,
            message: "has unresolved merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`)",
            hint: "run `modelpin lock`: it re-resolves the lock from \(Manifest.fileName), keeping the commits both sides of the conflict agree on")
        error.mergeConflict = true
        return error
    }

    private static func model(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> LockedModel {
        let table = try reader.table(value, path, expected: "a `[[model]]` table")
        // The alias first, so that every later message can name the model.
        let aliasText = try string(table, "alias", path, reader, context: "")
        let alias: ModelAlias
        do {
            alias = try ModelAlias(validating: aliasText)
        } catch {
            throw reader.error(path.appending("alias"), error.description)
        }
        let context = "model `\(alias)`: "
        try reader.checkKeys(table, at: path, known: modelKeys, what: "a `[[model]]` table")

        let requestedRepo = try string(table, "requested-repo", path, reader, context: context)
        let requestedRevision = try string(table, "requested-revision", path, reader, context: context)
        let include = try field(table, "include", path, reader, context: context) { value, path throws(ProjectFileError) in
            try reader.strings(value, path, nonEmpty: false)
        }
        let exclude = try field(table, "exclude", path, reader, context: context) { value, path throws(ProjectFileError) in
            try reader.strings(value, path, nonEmpty: false)
        }
        let endpoint = try string(table, "endpoint", path, reader, context: context)
        let repo = try string(table, "repo", path, reader, context: context)
        // Before the commit: a registry's model has a `manifest` digest instead.
        var source: LockSource?
        if table["source"] != nil {
            let text = try string(table, "source", path, reader, context: context)
            guard let known = LockSource(rawValue: text) else {
                throw reader.error(
                    path.appending("source"),
                    context + "`source` must be \(LockSource.allCases.map { "`\($0.rawValue)`" }.joined(separator: " or ")), not `\(text.escapedForDisplay)`")
            }
            source = known
        }

        let commit = try lockedCommit(table, path, reader, context: context, oci: source == .oci)

        var pins: [SignerID] = []
        var signedBy: SignerID?
        var signatures: [String] = []
        if table["signers"] != nil || table["signed-by"] != nil || table["signatures"] != nil || table["signature-kind"] != nil {
            let texts = try field(table, "signers", path, reader, context: context) { value, path throws(ProjectFileError) in
                try reader.strings(value, path, nonEmpty: true)
            }
            for text in texts {
                // modelpin writes the canonical spelling only: any other was edited by hand.
                guard let signer = try? SignerID(parsing: text), signer.description == text else {
                    throw reader.error(
                        path.appending("signers"),
                        context + "`\(text.escapedForDisplay)` is not a 40-hex uppercase fingerprint, `oms-key:HEX` or `oms-cert:IDENTITY`")
                }
                pins.append(signer)
            }
            var kind = SignatureKind.openpgp
            if table["signature-kind"] != nil {
                let text = try string(table, "signature-kind", path, reader, context: context)
                guard let known = SignatureKind(rawValue: text) else {
                    throw reader.error(
                        path.appending("signature-kind"),
                        context + "`signature-kind` must be \(SignatureKind.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")), not `\(text.escapedForDisplay)`")
                }
                kind = known
            }
            let text = try string(table, "signed-by", path, reader, context: context)
            guard let signer = pins.first(where: { $0.description == text }) else {
                throw reader.error(path.appending("signed-by"), context + "`signed-by` must be one of `signers`, not `\(text.escapedForDisplay)`")
            }
            guard signer.kind == kind else {
                throw reader.error(
                    path.appending("signature-kind"), context + "`signed-by` is an \(signer.kind.rawValue) signer but `signature-kind` says `\(kind.rawValue)`")
            }
            signedBy = signer
            signatures = try field(table, "signatures", path, reader, context: context) { value, path throws(ProjectFileError) in
                try reader.strings(value, path, nonEmpty: true)
            }
            if signatures.isEmpty {
                throw reader.error(path.appending("signatures"), context + "`signatures` names no signature document")
            }
        }

        var scanner: String?
        if table["scanner"] != nil {
            scanner = try string(table, "scanner", path, reader, context: context)
        }

        let policy = try lockedPolicy(table, path, reader, context: context)

        var files: [LockedFile] = []
        if let value = table["file"] {
            let elements = try reader.array(value, path.appending("file"), expected: "an array of `[[model.file]]` tables")
            for (offset, element) in elements.enumerated() {
                let filePath = path.appending("file").indexed(offset + 1)
                let file = try lockedFile(element, filePath, reader, alias: alias)
                if files.contains(where: { $0.path == file.path }) {
                    throw reader.error(filePath.appending("path"), context + "file `\(file.path.escapedForDisplay)` is listed twice")
                }
                files.append(file)
            }
            // Two locked paths one case-insensitive filesystem cannot tell apart (or a file that
            // another path needs as a directory) would overwrite each other.
            if let problem = PathSafety.problems(in: files.map(\.path)).first {
                throw reader.error(path.appending("file"), context + problem)
            }
        }
        if case .failure(let error) = FileSizeLimit.total(files.map(\.size)) {
            var refusal = reader.error(path, context + error.description, hint: "nothing was downloaded; check who edited the lock")
            refusal.refused = true
            throw refusal
        }
        var locked = LockedModel(
            alias: alias, requestedRepo: requestedRepo, requestedRevision: requestedRevision, include: include,
            exclude: exclude, endpoint: endpoint, repo: repo, commit: commit, files: files,
            signatures: signatures)
        locked.pin(pins)
        locked.setVouchedBy(signedBy)
        locked.scanner = scanner
        locked.source = source
        locked.policy = policy
        return locked
    }

    /// `commit` (40 lowercase hex digits), or for a model from an OCI registry `manifest` (its
    /// manifest's digest) and no `commit`.
    private static func lockedCommit(_ table: TOMLTable, _ path: FieldPath, _ reader: TOMLReader, context: String, oci: Bool) throws(ProjectFileError) -> CommitID {
        guard oci else {
            if table["manifest"] != nil {
                throw reader.error(path.appending("manifest"), context + "`manifest` belongs to a model from an OCI registry (`source = \"oci\"`)")
            }
            let commitText = try string(table, "commit", path, reader, context: context)
            do {
                return try CommitID(parsing: commitText)
            } catch {
                throw reader.error(path.appending("commit"), context + "`commit` must be 40 lowercase hex digits: \(error.description)")
            }
        }
        if table["commit"] != nil {
            throw reader.error(path.appending("commit"), context + "a model from an OCI registry is pinned by `manifest`, not `commit`")
        }
        let text = try string(table, "manifest", path, reader, context: context)
        do {
            return CommitID(ociManifest: try SHA256Digest(parsing: text))
        } catch {
            throw reader.error(path.appending("manifest"), context + "`manifest` is not a valid digest: \(error.reason)")
        }
    }

    /// `policy` and `policy-reasons`, together or not at all.
    private static func lockedPolicy(_ table: TOMLTable, _ path: FieldPath, _ reader: TOMLReader, context: String) throws(ProjectFileError) -> LockedPolicy? {
        guard table["policy"] != nil || table["policy-reasons"] != nil else { return nil }
        let text = try string(table, "policy", path, reader, context: context)
        guard let decision = LockedPolicy.Decision(rawValue: text) else {
            throw reader.error(
                path.appending("policy"),
                context + "`policy` must be `allow` or `log`, not `\(text.escapedForDisplay)` (a blocked model is never locked)")
        }
        let reasons = try field(table, "policy-reasons", path, reader, context: context) { value, path throws(ProjectFileError) in
            try reader.strings(value, path, nonEmpty: true)
        }
        return LockedPolicy(decision: decision, reasons: reasons)
    }

    private static func lockedFile(_ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader, alias: ModelAlias) throws(ProjectFileError) -> LockedFile {
        let modelContext = "model `\(alias)`: "
        let table = try reader.table(value, path, expected: "a `[[model.file]]` table")
        let name = try string(table, "path", path, reader, context: modelContext)
        if let problem = pathProblem(name) {
            throw reader.error(path.appending("path"), modelContext + "file `\(name.escapedForDisplay)`: \(problem)")
        }
        let context = "model `\(alias)`, file `\(name.escapedForDisplay)`: "
        try reader.checkKeys(table, at: path, known: fileKeys, what: "a `[[model.file]]` table")

        let size = try field(table, "size", path, reader, context: context) { value, path throws(ProjectFileError) in
            try reader.integer(value, path)
        }
        if size < 0 { throw reader.error(path.appending("size"), context + "`size` must not be negative, found \(size)") }
        if size > FileSizeLimit.maximum {
            var error = reader.error(
                path.appending("size"),
                context + "`size` is \(size) bytes, more than modelpin accepts for one file (\(FileSizeLimit.maximum) bytes, 1 TiB)",
                hint: "nothing was downloaded; check who edited the lock, then run `modelpin lock --update` to lock what the Hub lists")
            error.refused = true
            throw error
        }
        let shaText = try string(table, "sha256", path, reader, context: context)
        let sha256: SHA256Digest
        do {
            sha256 = try SHA256Digest(parsing: shaText)
        } catch {
            throw reader.error(path.appending("sha256"), context + "`sha256` is not a valid digest: \(error.reason)")
        }
        let blobText = try string(table, "git-blob-id", path, reader, context: context)
        let gitBlobID: GitBlobID
        do {
            gitBlobID = try GitBlobID(parsing: blobText)
        } catch {
            throw reader.error(path.appending("git-blob-id"), context + "`git-blob-id` is not a valid git blob id: \(error.reason)")
        }
        let lfs = try field(table, "lfs", path, reader, context: context) { value, path throws(ProjectFileError) in
            try reader.boolean(value, path)
        }
        var verdict: Verdict?
        if table["verdict"] != nil {
            let text = try string(table, "verdict", path, reader, context: context)
            guard let known = Verdict(rawValue: text) else {
                throw reader.error(path.appending("verdict"), context + "`verdict` must be safe, unsupported, suspicious, unsafe or malformed, not `\(text.escapedForDisplay)`")
            }
            verdict = known
        }
        var accepted: [String] = []
        if table["accepted"] != nil {
            accepted = try field(table, "accepted", path, reader, context: context) { value, path throws(ProjectFileError) in
                try reader.strings(value, path, nonEmpty: true)
            }
            if let bad = accepted.first(where: { $0.split(separator: ".", omittingEmptySubsequences: false).count < 2 || $0.contains(" ") }) {
                throw reader.error(path.appending("accepted"), context + "`accepted` lists callables as `module.name`, not `\(bad.escapedForDisplay)`")
            }
            guard verdict == .safe else {
                throw reader.error(path.appending("accepted"), context + "`accepted` belongs to a file whose verdict is `safe`")
            }
        }
        return LockedFile(
            path: name, size: Int64(size), sha256: sha256, gitBlobID: gitBlobID, lfs: lfs, verdict: verdict, accepted: accepted.sorted())
    }

    /// Why a file path cannot be in a lock, or nil: it is joined to a model's directory, so it
    /// must pass the same check as a path the Hub lists (a lock is edited in pull requests).
    private static func pathProblem(_ path: String) -> String? {
        PathSafety.reason(path)
    }

    // MARK: Field access

    private static func required(_ table: TOMLTable, _ key: String, _ path: FieldPath, _ reader: TOMLReader, context: String) throws(ProjectFileError) -> any TOMLValueConvertible {
        guard let value = table[key] else { throw reader.error(path.appending(key), context + "`\(key)` is missing") }
        return value
    }

    /// A required, non-empty string.
    private static func string(_ table: TOMLTable, _ key: String, _ path: FieldPath, _ reader: TOMLReader, context: String) throws(ProjectFileError) -> String {
        try field(table, key, path, reader, context: context) { value, path throws(ProjectFileError) in try reader.text(value, path) }
    }

    /// A required field read by `read`, its errors prefixed with the model and file they are in.
    private static func field<T>(
        _ table: TOMLTable, _ key: String, _ path: FieldPath, _ reader: TOMLReader, context: String,
        _ read: (any TOMLValueConvertible, FieldPath) throws(ProjectFileError) -> T
    ) throws(ProjectFileError) -> T {
        let value = try required(table, key, path, reader, context: context)
        do {
            return try read(value, path.appending(key))
        } catch {
            var located = error
            located.message = context + "`\(key)` " + error.message
            throw located
        }
    }
}
