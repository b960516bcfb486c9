import PinModel
import TOMLKit

/// `modelpin.toml` on disk: parsing it strictly, writing its first version, and the two edits
/// modelpin makes to it (add and remove a model), which work on the text so the person's
/// comments and layout survive.
///
/// Strict because it is a security configuration: a misspelt key (`revison`) silently ignored
/// would download `main` instead of the pinned tag, so unknown keys are errors, and keys
/// reserved for checks this version cannot perform (`signers`, a model's `policy`, `scan`) are refused
/// rather than ignored.
public enum ManifestFormat {
    /// The hint of errors that bring none of their own.
    static let defaultHint = "modelpin.toml is yours to edit: fix it and run the command again"

    /// `policy` is the admission policy's table, read by PinPolicy (`PolicyFormat`) from the
    /// same text: this parser only lets it through.
    static let topLevelKeys = ["version", "endpoint", "allowlist", "audit-checkpoint", "models", "policy"]
    static let modelKeys = ["repo", "revision", "include", "exclude", "to", "signers", "layout", "source"]

    static let signersReserved =
        "`signers` is set per model, in its [models.ALIAS] table; at the top level it would apply to nothing"
    static let policyReserved =
        "`policy` applies to every model, in the top-level [policy] table; a model's own table cannot hold one"
    static let scanReserved =
        "`scan` is reserved for scanning model files, which this version of modelpin does not perform yet; remove it rather than rely on it"

    // MARK: Parsing

    public static func parse(_ text: String, file: String) throws(ProjectFileError) -> Manifest {
        // A person's file: which side of a conflict they meant is theirs to say, not modelpin's.
        if let line = MergeConflict.firstMarkerLine(in: text) {
            var error = ProjectFileError(
                file: file, line: line, column: 1,
                message: "has unresolved merge-conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`)",
                hint: "resolve the conflict in \(Manifest.fileName) by hand (keep what each `<<<<<<<` … `>>>>>>>` block should say and delete the marker lines), then run `modelpin lock`")
            error.mergeConflict = true
            throw error
        }
        let (reader, root) = try TOMLReader.parse(text, file: file, defaultHint: defaultHint)
        // The version first: a newer file may well have keys this version does not know.
        if let value = root["version"] { try checkVersion(value, reader) }
        try reader.checkKeys(
            root, at: .root, known: topLevelKeys, reserved: ["signers": signersReserved],
            what: "modelpin.toml's top level")

        var manifest = Manifest()
        if let value = root["endpoint"] {
            let path = FieldPath("endpoint")
            let endpoint = try reader.text(value, path, example: #"endpoint = "https://huggingface.co""#)
            guard let scheme = ["https://", "http://"].first(where: endpoint.hasPrefix), endpoint.count > scheme.count else {
                throw reader.error(
                    path, "`\(endpoint.escapedForDisplay)` is not an http:// or https:// URL",
                    hint: #"write it like `endpoint = "https://huggingface.co"`"#)
            }
            manifest.endpoint = endpoint
        }
        if let value = root["allowlist"] {
            manifest.allowlist = try reader.text(value, FieldPath("allowlist"), example: #"allowlist = "models.allow""#)
        }
        if let value = root["audit-checkpoint"] {
            manifest.auditCheckpoint = try auditCheckpoint(value, reader)
        }
        if let value = root["models"] {
            let path = FieldPath("models")
            let models = try reader.table(
                value, path, expected: "a table of `[models.ALIAS]` tables", example: "[models.llama]")
            var requests: [ModelRequest] = []
            for key in models.keys.sorted() {
                requests.append(try model(key, models[key]!, path.appending(key), reader))
            }
            manifest.models = requests
        }
        return manifest
    }

    /// `audit-checkpoint`: a file inside the project, named as a path a pull request cannot
    /// turn against its reader (no `..`, no absolute path, no `.git`: `PathSafety`).
    private static func auditCheckpoint(_ value: any TOMLValueConvertible, _ reader: TOMLReader) throws(ProjectFileError) -> String {
        let path = FieldPath("audit-checkpoint")
        let text = try reader.text(value, path, example: #"audit-checkpoint = "modelpin.checkpoint""#)
        if let reason = PathSafety.reason(text) {
            throw reader.error(
                path, "`\(text.escapedForDisplay)`: \(reason)",
                hint: #"name a file inside the project, relative to modelpin.toml, like `audit-checkpoint = "modelpin.checkpoint"`"#)
        }
        return text
    }

    private static func checkVersion(_ value: any TOMLValueConvertible, _ reader: TOMLReader) throws(ProjectFileError) {
        let path = FieldPath("version")
        let version = try reader.integer(value, path, example: "version = 1")
        if version > Manifest.currentVersion {
            throw reader.error(
                path, "this file is format version \(version), written for a newer modelpin; this modelpin reads version \(Manifest.currentVersion)",
                hint: "upgrade modelpin")
        }
        if version < Manifest.currentVersion {
            throw reader.error(path, "must be \(Manifest.currentVersion), not \(version)", hint: "write `version = 1`")
        }
    }

    /// `source = "oci://HOST[:PORT]/REPO[:TAG|@sha256:…]"`: a model from an OCI registry, in
    /// place of `repo` and `revision` (the tag or digest is the revision; `latest` when none is
    /// written, as docker and skopeo read it). Only the form is checked here; the registry
    /// reference is parsed strictly where it is resolved.
    private static func ociRequest(
        _ alias: ModelAlias, _ value: any TOMLValueConvertible, _ table: TOMLTable, _ path: FieldPath, _ reader: TOMLReader
    ) throws(ProjectFileError) -> ModelRequest {
        let sourcePath = path.appending("source")
        let text = try reader.text(value, sourcePath, example: #"source = "oci://registry.example/models/llama:v1""#)
        for key in ["repo", "revision"] where table[key] != nil {
            throw reader.error(
                path.appending(key), "`\(key)` and `source` both name where the model comes from",
                hint: "an OCI model's tag or digest is part of `source` (`oci://HOST/REPO:TAG`); remove `\(key)`")
        }
        guard let (repo, revision) = ModelRequest.splitOCI(text) else {
            throw reader.error(
                sourcePath, "`\(text.escapedForDisplay)` is not an `oci://HOST[:PORT]/REPO[:TAG|@sha256:…]` reference",
                hint: #"write it like `source = "oci://registry.example/models/llama:v1"`"#)
        }
        return ModelRequest(alias: alias, repo: repo, revision: revision)
    }

    private static func model(_ key: String, _ value: any TOMLValueConvertible, _ path: FieldPath, _ reader: TOMLReader) throws(ProjectFileError) -> ModelRequest {
        let alias: ModelAlias
        do {
            alias = try ModelAlias(validating: key)
        } catch {
            throw reader.error(path, error.description)
        }
        let table = try reader.table(value, path, expected: "a table", example: "[models.\(alias)]")
        try reader.checkKeys(
            table, at: path, known: modelKeys,
            reserved: ["policy": policyReserved, "scan": scanReserved],
            what: "a model table")

        var request: ModelRequest
        if let sourceValue = table["source"] {
            request = try ociRequest(alias, sourceValue, table, path, reader)
        } else {
            guard let repoValue = table["repo"] else {
                throw reader.error(path.appending("repo"), "missing; every model names its Hub repo", hint: #"add `repo = "org/name"` to [models.\#(alias)]"#)
            }
            request = ModelRequest(alias: alias, repo: try reader.text(repoValue, path.appending("repo"), example: #"repo = "org/name""#))
            // One spelling for a registry's model: `source`, which carries its tag or digest.
            if request.isOCI {
                throw reader.error(
                    path.appending("repo"), "`repo` names a Hub repository; a model from an OCI registry is written `source = \"oci://…\"`",
                    hint: #"write `source = "oci://HOST/REPO:TAG"` instead of `repo` and `revision`"#)
            }
        }
        if let value = table["revision"] {
            let revisionPath = path.appending("revision")
            request.revision = try reader.text(value, revisionPath, example: #"revision = "main""#)
            if let bad = request.revision.unicodeScalars.first(where: isInvisible) {
                throw reader.error(
                    revisionPath, "\(bad.displayDescription) is not allowed in a revision",
                    hint: "a revision is a branch, a tag or a 40-hex commit, with no spaces")
            }
        }
        if let value = table["include"] {
            request.include = try reader.strings(value, path.appending("include"), nonEmpty: true, example: #"include = ["*.safetensors", "*.json"]"#)
        }
        if let value = table["exclude"] {
            request.exclude = try reader.strings(value, path.appending("exclude"), nonEmpty: true, example: #"exclude = ["*.bin"]"#)
        }
        if let value = table["signers"] {
            let signersPath = path.appending("signers")
            let texts = try reader.strings(value, signersPath, nonEmpty: true, example: #"signers = ["0123456789ABCDEF0123456789ABCDEF01234567"]"#)
            var pins: [SignerID] = []
            for text in texts {
                do {
                    pins.append(try SignerID(parsing: text))
                } catch {
                    let hint = if case .fingerprint = error.problem {
                        "pin full primary-key fingerprints, as `gpg --fingerprint` or `modelpin keys list` shows them"
                    } else { error.hint }
                    throw reader.error(signersPath, error.description, hint: hint)
                }
            }
            if pins.isEmpty {
                throw reader.error(signersPath, "is empty; name at least one fingerprint or remove `signers`")
            }
            (request.signers, request.omsSigners) = SignerID.split(pins)
        }
        if let value = table["layout"] {
            let layoutPath = path.appending("layout")
            let text = try reader.text(value, layoutPath, example: #"layout = "hf-cache""#)
            guard let layout = ModelLayout(rawValue: text) else {
                throw reader.error(
                    layoutPath, "`\(text.escapedForDisplay)` is not a layout",
                    hint: "use `directory` (the default: `to`, else models/ORG/NAME) or `hf-cache` (the Hugging Face cache)")
            }
            if layout == .hfCache, table["to"] != nil {
                throw reader.error(layoutPath, "`hf-cache` puts the model in the Hugging Face cache, so `to` has no directory to name", hint: "remove `to` or `layout`")
            }
            request.layout = layout
        }
        if let value = table["to"] {
            let toPath = path.appending("to")
            let directory = try reader.text(value, toPath, example: #"to = "models/llama""#)
            if let problem = directoryProblem(directory) {
                throw reader.error(toPath, problem, hint: "`to` is a directory below the project's, like `models/\(alias)`")
            }
            request.directory = directory
        }
        return request
    }

    /// Whitespace, controls and invisible characters: never part of a branch or tag a person
    /// meant, and a way to make two revisions look alike.
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        return properties.isWhitespace || properties.generalCategory == .control || properties.generalCategory == .format
            || properties.isDefaultIgnorableCodePoint
    }

    /// Why `directory` cannot be a model's `to`, or nil. It must stay inside the project and not
    /// be the project directory itself (a model's files there could overwrite modelpin.toml).
    private static func directoryProblem(_ directory: String) -> String? {
        let shown = directory.escapedForDisplay
        if directory.hasPrefix("/") { return "`\(shown)` is an absolute path; `to` is relative to modelpin.toml's directory" }
        if directory.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "`\(shown)` contains a control character"
        }
        let components = directory.split(separator: "/", omittingEmptySubsequences: true)
        if components.contains("..") { return "`\(shown)` has a `..` component; `to` must stay inside the project" }
        if components.allSatisfy({ $0 == "." }) { return "`\(shown)` is the project directory itself; name a directory below it" }
        // `.git` (or `.hg`, `.modelpin`, …) as `to` would put a model's files into the
        // project's version control: the same components a Hub listing may not use.
        for component in components {
            if let reason = PathSafety.componentReason(component) { return "`\(shown)`: \(reason)" }
        }
        return nil
    }

    // MARK: Writing

    /// The file `modelpin init` writes: what the file is, an example model table (commented
    /// out), `version = 1`, and the endpoint and allowlist when given.
    public static func initialText(endpoint: String?, allowlist: String?) -> String {
        var text = """
            # modelpin.toml: the models this project uses. Edit it by hand or with `modelpin add`;
            # `modelpin lock` resolves it into modelpin.lock (commit both), `modelpin pull` fetches that.
            #
            # [models.llama]
            # repo = "meta-llama/Llama-3.2-1B"
            # revision = "main"                        # a branch, a tag or a commit
            # include = ["*.safetensors", "*.json"]    # optional; exclude = [...] and to = "dir" too

            version = 1

            """
        if let endpoint { text += "endpoint = \(TOMLText.basicString(endpoint))\n" }
        if let allowlist { text += "allowlist = \(TOMLText.basicString(allowlist))\n" }
        return text
    }

    /// `text` with a `[models.ALIAS]` table for `model` appended after a blank line; nothing
    /// else changes. Lists and `to` are written only when set, so the table says no more than
    /// the person asked for.
    public static func appending(_ model: ModelRequest, to text: String) -> String {
        var result = text
        if !result.isEmpty, !TOMLText.endsWithNewline(result) { result += "\n" }
        if !TOMLText.endsWithBlankLine(result) { result += "\n" }
        result += "[models.\(TOMLText.key(model.alias.rawValue))]\n"
        if model.isOCI {
            // A registry's model is one reference: the tag (`:TAG`) or digest (`@sha256:…`) in it.
            let separator = model.revision.hasPrefix("sha256:") ? "@" : ":"
            result += "source = \(TOMLText.basicString(model.repo + separator + model.revision))\n"
        } else {
            result += "repo = \(TOMLText.basicString(model.repo))\n"
            result += "revision = \(TOMLText.basicString(model.revision))\n"
        }
        if !model.include.isEmpty { result += "include = \(TOMLText.stringArray(model.include))\n" }
        if !model.exclude.isEmpty { result += "exclude = \(TOMLText.stringArray(model.exclude))\n" }
        if let directory = model.directory { result += "to = \(TOMLText.basicString(directory))\n" }
        if model.layout != .directory { result += "layout = \(TOMLText.basicString(model.layout.rawValue))\n" }
        if !model.pinnedSigners.isEmpty { result += "signers = \(TOMLText.stringArray(model.pinnedSigners.map(\.description)))\n" }
        return result
    }

    /// `text` without the model `alias`: its `[models.ALIAS]` table and any
    /// `[models.ALIAS.…]` sub-tables, or its dotted-key lines (`models.ALIAS.repo = …`,
    /// `ALIAS = { … }` under `[models]`). Nil when nothing defines it.
    ///
    /// A table's extent is a layout guess, kept simple: the comment lines directly above its
    /// header (no blank line between) belong to it, and so does everything after the header up
    /// to the next header's own comment lines. So `# The chat model.` above `[models.llama]`
    /// goes with it, while `# Embeddings.` above the next table stays. A blank line the removal
    /// would leave doubled (or trailing) is dropped.
    public static func removing(alias: String, from text: String) -> String? {
        let scanner = TOMLLineScanner(text)
        let target = ["models", alias]
        let kinds = scanner.kinds
        var removed = [Bool](repeating: false, count: kinds.count)
        // Where a header's block starts: the first of the comment lines directly above it.
        func blockStart(_ header: Int) -> Int {
            var start = header
            while start > 0, kinds[start - 1] == .comment { start -= 1 }
            return start
        }
        var table: [String] = []
        var index = 0
        while index < kinds.count {
            switch kinds[index] {
            case .header(let keys, _, _):
                table = keys
                guard keys.starts(with: target) else { break }
                var next = index + 1
                while next < kinds.count, !kinds[next].isHeader { next += 1 }
                let end = next < kinds.count ? blockStart(next) : kinds.count
                for line in blockStart(index)..<max(end, index + 1) { removed[line] = true }
                index = next
                continue
            case .keyValue(let keys, _):
                guard (table + keys).starts(with: target) else { break }
                removed[index] = true
                while index + 1 < kinds.count, kinds[index + 1] == .continuation {
                    index += 1
                    removed[index] = true
                }
            case .blank, .comment, .continuation, .other:
                break
            }
            index += 1
        }
        guard removed.contains(true) else { return nil }

        var kept: [Substring] = []
        var afterRemoval = false
        for (line, isRemoved) in zip(scanner.lines, removed) {
            if isRemoved {
                afterRemoval = true
                continue
            }
            let isBlank = line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
            if afterRemoval, isBlank, kept.last?.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) ?? true {
                continue  // the removal left two blank lines together (or one at the top)
            }
            afterRemoval = false
            kept.append(line)
        }
        if afterRemoval {
            while let last = kept.last, last.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { kept.removeLast() }
        }
        if kept.isEmpty { return "" }
        return kept.joined(separator: "\n") + (TOMLText.endsWithNewline(text) || afterRemoval ? "\n" : "")
    }
}
