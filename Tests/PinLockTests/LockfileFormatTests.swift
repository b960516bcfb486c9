import Foundation
import PinLock
import PinModel
import Testing

let shaA = "sha256:" + String(repeating: "ab", count: 32)
let shaB = "sha256:" + String(repeating: "0f", count: 32)
let blobA = String(repeating: "cd", count: 20)
let blobB = String(repeating: "12", count: 20)
let commit = try! CommitID(parsing: String(repeating: "ab", count: 20))

func file(_ path: String, size: Int64 = 52, sha: String = shaA, blob: String = blobA, lfs: Bool = false) -> LockedFile {
    LockedFile(path: path, size: size, sha256: try! SHA256Digest(parsing: sha), gitBlobID: try! GitBlobID(parsing: blob), lfs: lfs)
}

func model(_ alias: ModelAlias, files: [LockedFile], include: [String] = ["*.json", "*.safetensors"], revision: String = "main") -> LockedModel {
    LockedModel(
        alias: alias, requestedRepo: "acme/Tiny-Model", requestedRevision: revision, include: include, exclude: [],
        endpoint: "https://huggingface.co", repo: "acme/tiny-model", commit: commit, files: files)
}

/// The error `LockfileFormat.parse` throws for `text`, or nil when it parses.
func lockError(_ text: String) -> ProjectFileError? {
    do {
        _ = try LockfileFormat.parse(text, file: "project/modelpin.lock")
        return nil
    } catch {
        return error
    }
}

let golden = """
    # modelpin.lock — written by modelpin; do not edit by hand.
    # It records exactly what `modelpin lock` resolved: run `modelpin lock --update` to change it.
    version = 1

    [[model]]
    alias = "small"
    requested-repo = "acme/Tiny-Model"
    requested-revision = "main"
    include = ["*.json", "*.safetensors"]
    exclude = []
    endpoint = "https://huggingface.co"
    repo = "acme/tiny-model"
    commit = "abababababababababababababababababababab"

    [[model]]
    alias = "tiny"
    requested-repo = "acme/Tiny-Model"
    requested-revision = "main"
    include = ["*.json", "*.safetensors"]
    exclude = []
    endpoint = "https://huggingface.co"
    repo = "acme/tiny-model"
    commit = "abababababababababababababababababababab"

    [[model.file]]
    path = "config.json"
    size = 52
    sha256 = "sha256:abababababababababababababababababababababababababababababababab"
    git-blob-id = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
    lfs = false

    [[model.file]]
    path = "model.safetensors"
    size = 1048576
    sha256 = "sha256:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    git-blob-id = "1212121212121212121212121212121212121212"
    lfs = true

    """

let goldenLock = Lockfile(models: [
    model("tiny", files: [
        file("model.safetensors", size: 1_048_576, sha: shaB, blob: blobB, lfs: true),
        file("config.json"),
    ]),
    model("small", files: []),
])

@Suite struct LockfileRenderTests {
    @Test func rendersTheCanonicalBytes() {
        #expect(LockfileFormat.render(goldenLock) == golden)
    }

    @Test func emptyLockIsTheHeader() {
        #expect(LockfileFormat.render(Lockfile()) == """
            # modelpin.lock — written by modelpin; do not edit by hand.
            # It records exactly what `modelpin lock` resolved: run `modelpin lock --update` to change it.
            version = 1

            """)
    }

    @Test func orderOfInputDoesNotMatter() {
        var shuffled = goldenLock
        shuffled.models.reverse()  // bypasses the sorting initializers
        shuffled.models[0].files.reverse()
        #expect(shuffled != goldenLock)
        #expect(LockfileFormat.render(shuffled) == golden)
    }

    @Test func roundTrips() throws {
        #expect(try LockfileFormat.parse(golden, file: "modelpin.lock") == goldenLock)
        #expect(LockfileFormat.render(try LockfileFormat.parse(golden, file: "modelpin.lock")) == golden)
        #expect(try LockfileFormat.parse(LockfileFormat.render(Lockfile()), file: "modelpin.lock") == Lockfile())
    }

    @Test func awkwardStringsRoundTrip() throws {
        // A locked path must pass the listing's own checks (no backslash or control
        // character), so those escapes are exercised through `include` instead.
        var odd = model("odd", files: [file("dir/naïve \"quoted\" file.json"), file("日本語/モデル.bin")])
        odd.requestedRevision = "refs/pr/1"
        odd.include = ["weird\u{7F}\u{01}\n", "", "a \\ b\t*"]
        let lock = Lockfile(models: [odd])
        let text = LockfileFormat.render(lock)
        #expect(text.contains(#"path = "dir/naïve \"quoted\" file.json""#))
        #expect(text.contains(#"include = ["weird\u007F\u0001\n", "", "a \\ b\t*"]"#))
        #expect(text.contains("日本語/モデル.bin"))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock") == lock)
    }
}

@Suite struct SignedModelLockTests {
    static let signer = "0123456789ABCDEF0123456789ABCDEF01234567"
    static let fingerprint = try! Fingerprint(parsing: signer)

    @Test func signersAreWrittenAfterTheCommitAndRoundTrip() throws {
        var signed = model("signed", files: [file("SHA256SUMS"), file("SHA256SUMS.asc", blob: blobB)])
        signed.signers = [Self.fingerprint]
        signed.signedBy = Self.fingerprint
        signed.signatures = ["SHA256SUMS.asc"]
        let text = LockfileFormat.render(Lockfile(models: [signed]))
        #expect(text.contains("""
            commit = "abababababababababababababababababababab"
            signers = ["\(Self.signer)"]
            signed-by = "\(Self.signer)"
            signatures = ["SHA256SUMS.asc"]

            [[model.file]]
            """))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock") == Lockfile(models: [signed]))
        // A model without signers is written exactly as before signatures existed.
        #expect(!LockfileFormat.render(goldenLock).contains("signers"))
    }

    @Test func aSignerOutsideTheSignersIsRefused() throws {
        var signed = model("signed", files: [])
        signed.signers = [Self.fingerprint]
        signed.signedBy = Self.fingerprint
        signed.signatures = ["SHA256SUMS.asc"]
        let text = LockfileFormat.render(Lockfile(models: [signed]))
            .replacingOccurrences(of: "signed-by = \"\(Self.signer)\"", with: "signed-by = \"\(String(repeating: "F", count: 40))\"")
        let error = try #require(lockError(text))
        #expect(error.field == "model[1].signed-by")
        #expect(error.message.contains("must be one of `signers`"))
    }
}

@Suite struct ScannedModelLockTests {
    @Test func theScannerAndEachVerdictRoundTrip() throws {
        var scanned = model("scanned", files: [
            LockedFile(path: "a.json", size: 1, sha256: try SHA256Digest(parsing: shaA), gitBlobID: try GitBlobID(parsing: blobA), lfs: false, verdict: .safe),
            LockedFile(path: "b.bin", size: 2, sha256: try SHA256Digest(parsing: shaB), gitBlobID: try GitBlobID(parsing: blobB), lfs: true, verdict: .safe),
        ])
        scanned.scanner = "modelpin-scan/1"
        let text = LockfileFormat.render(Lockfile(models: [scanned]))
        #expect(text.contains("commit = \"\(commit)\"\nscanner = \"modelpin-scan/1\"\n\n[[model.file]]"))
        #expect(text.contains("lfs = false\nverdict = \"safe\"\n\n[[model.file]]"))
        #expect(text.hasSuffix("lfs = true\nverdict = \"safe\"\n"))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock") == Lockfile(models: [scanned]))
        let bad = try #require(lockError(text.replacingOccurrences(of: "verdict = \"safe\"\n\n[[model.file]]", with: "verdict = \"fine\"\n\n[[model.file]]")))
        #expect(bad.field == "model[1].file[1].verdict")
    }

    /// The lock's `verdict` is the scanner's Verdict, typed: every case is written as its name
    /// and read back as the same value, and any other text is refused naming the file, line and
    /// field.
    @Test(arguments: Verdict.allCases)
    func everyVerdictIsWrittenByNameAndReadBack(_ verdict: Verdict) throws {
        var scanned = model("scanned", files: [
            LockedFile(path: "a.json", size: 1, sha256: try SHA256Digest(parsing: shaA), gitBlobID: try GitBlobID(parsing: blobA), lfs: false, verdict: verdict),
        ])
        scanned.scanner = "modelpin-scan/2"
        let text = LockfileFormat.render(Lockfile(models: [scanned]))
        #expect(text.hasSuffix("lfs = false\nverdict = \"\(verdict.rawValue)\"\n"))
        let parsed = try LockfileFormat.parse(text, file: "modelpin.lock")
        #expect(parsed.models.first?.files.first?.verdict == verdict)
    }

    @Test(arguments: ["fine", "Safe", "SAFE", " safe", "safe\u{200B}", "clean"])
    func anUnknownVerdictIsRefusedNamingWhere(_ text: String) throws {
        var scanned = model("scanned", files: [
            LockedFile(path: "a.json", size: 1, sha256: try SHA256Digest(parsing: shaA), gitBlobID: try GitBlobID(parsing: blobA), lfs: false, verdict: .safe),
        ])
        scanned.scanner = "modelpin-scan/2"
        let lock = LockfileFormat.render(Lockfile(models: [scanned]))
            .replacingOccurrences(of: "verdict = \"safe\"", with: "verdict = \"\(text)\"")
        let error = try #require(lockError(lock))
        #expect(error.file == "project/modelpin.lock")
        #expect(error.field == "model[1].file[1].verdict")
        #expect(error.line == lock.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("verdict = ") }.map { $0 + 1 })
        #expect(error.message.hasPrefix("model `scanned`, file `a.json`: `verdict` must be safe, unsupported, suspicious, unsafe or malformed, not `"))
    }

    @Test func acceptedCallablesRoundTripOnlyOnSafeFiles() throws {
        var scanned = model("scanned", files: [
            LockedFile(
                path: "b.bin", size: 2, sha256: try SHA256Digest(parsing: shaB), gitBlobID: try GitBlobID(parsing: blobB), lfs: true,
                verdict: .safe, accepted: ["acme.layers.CustomLayer", "acme.Block"]),
        ])
        scanned.scanner = "modelpin-scan/1"
        let text = LockfileFormat.render(Lockfile(models: [scanned]))
        #expect(text.hasSuffix("verdict = \"safe\"\naccepted = [\"acme.Block\", \"acme.layers.CustomLayer\"]\n"))
        let parsed = try LockfileFormat.parse(text, file: "modelpin.lock")
        #expect(parsed.models.first?.files.first?.accepted == ["acme.Block", "acme.layers.CustomLayer"])
        let unsafe = try #require(lockError(text.replacingOccurrences(of: "verdict = \"safe\"", with: "verdict = \"unsafe\"")))
        #expect(unsafe.field == "model[1].file[1].accepted")
        let vague = try #require(lockError(text.replacingOccurrences(of: "\"acme.Block\"", with: "\"acme\"")))
        #expect(vague.message.contains("module.name"))
    }
}

@Suite struct LockfileParseTests {
    @Test func missingVersion() throws {
        let error = try #require(lockError("[[model]]\nalias = \"x\"\n"))
        #expect(error.message.contains("no `version`"))
        #expect(error.file == "project/modelpin.lock")
        #expect(error.hint?.contains("restore it from version control") == true)
        #expect(try #require(lockError("")).message.contains("no `version`"))
    }

    @Test func newerVersion() throws {
        let error = try #require(lockError("version = 2\n[[model]]\nnew-field = 1\n"))
        #expect(error.message == "`modelpin.lock` is format version 2; this modelpin reads version 1")
        #expect(error.line == 1)
        #expect(error.hint?.contains("upgrade modelpin") == true)
        #expect(try #require(lockError("version = 0\n")).field == "version")
        #expect(try #require(lockError("version = \"1\"\n")).message == "must be an integer, not a string")
    }

    @Test func badDigestNamesModelFileFieldAndLine() throws {
        let text = golden.replacing("0f0f0f0f0f", with: "0F0F0F0F0F", maxReplacements: 1)
        let error = try #require(lockError(text))
        #expect(error.field == "model[2].file[2].sha256")
        #expect(error.line == 35)
        #expect(error.column == 1)
        #expect(error.message.hasPrefix("model `tiny`, file `model.safetensors`: `sha256` is not a valid digest: "))
        #expect(error.description.hasPrefix("`project/modelpin.lock`:35:1: field `model[2].file[2].sha256`: model `tiny`"))
    }

    @Test func badBlobIDCommitAndSize() throws {
        let blob = try #require(lockError(golden.replacing(blobA, with: "xyz", maxReplacements: 1)))
        #expect(blob.field == "model[2].file[1].git-blob-id")
        #expect(blob.line == 29)
        let commit = try #require(lockError(golden.replacing("commit = \"abab", with: "commit = \"ABAB", maxReplacements: 1)))
        #expect(commit.field == "model[1].commit")
        #expect(commit.line == 13)
        #expect(commit.message.hasPrefix("model `small`: `commit` must be 40 lowercase hex digits"))
        #expect(commit.message.contains("commit ids are written in lowercase"))
        let sha256 = try #require(lockError(golden.replacing("commit = \"abab", with: "commit = \"\(String(repeating: "ab", count: 12))abab", maxReplacements: 1)))
        #expect(sha256.field == "model[1].commit")
        #expect(sha256.line == 13)
        #expect(sha256.message.contains("is a SHA-256 git commit id"))
        let size = try #require(lockError(golden.replacing("size = 52", with: "size = -1", maxReplacements: 1)))
        #expect(size.field == "model[2].file[1].size")
        let sizeType = try #require(lockError(golden.replacing("size = 52", with: "size = \"52\"", maxReplacements: 1)))
        #expect(sizeType.message == "model `tiny`, file `config.json`: `size` must be an integer, not a string")
    }

    @Test func duplicateAlias() throws {
        let text = golden.replacing("alias = \"small\"", with: "alias = \"tiny\"", maxReplacements: 1)
        let error = try #require(lockError(text))
        #expect(error.field == "model[2].alias")
        #expect(error.line == 16)
        #expect(error.message.contains("`tiny` is locked twice"))
    }

    @Test func duplicateAndUnsafePaths() throws {
        let duplicate = try #require(lockError(golden.replacing("model.safetensors", with: "config.json", maxReplacements: 1)))
        #expect(duplicate.field == "model[2].file[2].path")
        #expect(duplicate.message.contains("listed twice"))
        for bad in ["", "/etc/passwd", "../x", "a//b", "a/./b"] {
            let error = try #require(lockError(golden.replacing("\"config.json\"", with: "\"\(bad)\"", maxReplacements: 1)))
            #expect(error.field == "model[2].file[1].path")
        }
    }

    /// A lock is edited in pull requests: its paths get the Hub listing's checks, one
    /// validator for both (`PathSafety`), so a path a listing may not carry cannot be
    /// smuggled in through the lock instead.
    @Test(arguments: [".git/config", ".GIT./hooks/pre-commit", "sub/.hg/hgrc", "git~1/config", ".modelpin/snapshot.json", "a\\\\b", "ctl\\u001Bx"])
    func versionControlAndListingRulesApplyToLockedPaths(_ bad: String) throws {
        let error = try #require(lockError(golden.replacing("\"config.json\"", with: "\"\(bad)\"", maxReplacements: 1)))
        #expect(error.field == "model[2].file[1].path")
        #expect(error.message.contains("model `tiny`: file `"))
    }

    @Test func pathsOfOneModelThatClashOnACaseInsensitiveFilesystemAreRefused() throws {
        let clash = try #require(lockError(golden.replacing("\"config.json\"", with: "\"Model.safetensors\"", maxReplacements: 1)))
        #expect(clash.field == "model[2].file")
        #expect(clash.message.contains("same name as"))
    }

    @Test func unknownAndMissingKeys() throws {
        let unknown = try #require(lockError(golden.replacing("lfs = false", with: "lfs = false\nsignature = \"x\"", maxReplacements: 1)))
        #expect(unknown.field == "model[2].file[1].signature")
        #expect(unknown.line == 31)
        #expect(unknown.message == "unknown key `signature`")
        let top = try #require(lockError("version = 1\ngenerated = 2024-01-01\n"))
        #expect(top.field == "generated")
        let misspelt = try #require(lockError(golden.replacing("requested-revision", with: "requested-revison", maxReplacements: 1)))
        #expect(misspelt.message.contains("did you mean `requested-revision`?"))
        let missing = try #require(lockError(golden.replacing("lfs = true\n", with: "")))
        #expect(missing.field == "model[2].file[2].lfs")
        #expect(missing.line == 32)  // reported at the [[model.file]] header
        #expect(missing.message == "model `tiny`, file `model.safetensors`: `lfs` is missing")
    }

    @Test func shapeErrors() throws {
        #expect(try #require(lockError("version = 1\n[model]\nalias = \"x\"\n")).field == "model")
        #expect(try #require(lockError("version = 1\nmodel = [1]\n")).field == "model[1]")
        let syntax = try #require(lockError("version = 1\n[[model]\n"))
        #expect(syntax.line == 2)
    }
}

@Suite("Sizes a lock declares")
struct LockDeclaredSizeTests {
    /// A lock edited to declare an impossible size is refused (exit 1: a check, not a typo),
    /// naming the file and the field; it never reaches a part table or an offset.
    @Test(arguments: ["4611686018427387904", "9223372036854775807", "1099511627777"])
    func anImpossibleSizeIsRefused(_ size: String) throws {
        let text = golden.replacingOccurrences(of: "size = 1048576", with: "size = \(size)")
        let error = try #require(lockError(text))
        #expect(error.kind == .refused)
        #expect(error.field == "model[2].file[2].size", "\(error)")
        #expect(error.description.contains("1 TiB"))
    }

    @Test func filesThatAddUpPastTheModelLimitAreRefused() throws {
        var text = golden
        for index in 0..<1100 {
            text += """

                [[model.file]]
                path = "shard-\(index).bin"
                size = \(FileSizeLimit.maximum)
                sha256 = "sha256:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
                git-blob-id = "1212121212121212121212121212121212121212"
                lfs = true

                """
        }
        let error = try #require(lockError(text))
        #expect(error.kind == .refused)
        #expect(error.description.contains("1 PiB"), "\(error)")
    }
}

@Suite struct PolicyLockTests {
    static let digest = try! SHA256Digest(parsing: "sha256:" + String(repeating: "5a", count: 32))

    static func judged() -> Lockfile {
        var logged = model("tiny", files: [file("config.json")])
        logged.policy = LockedPolicy(decision: .log, reasons: ["licences: licence is unknown", "cooldown: commit is 2 days old"])
        var allowed = model("small", files: [])
        allowed.policy = LockedPolicy(decision: .allow)
        return Lockfile(models: [logged, allowed], policyDigest: digest)
    }

    @Test func theDigestAndEachDecisionAreWrittenAndRoundTrip() throws {
        let text = LockfileFormat.render(Self.judged())
        #expect(text.contains("version = 1\npolicy-digest = \"sha256:\(String(repeating: "5a", count: 32))\"\n\n[[model]]"))
        #expect(text.contains(#"commit = "abababababababababababababababababababab"\#npolicy = "log"\#npolicy-reasons = ["cooldown: commit is 2 days old", "licences: licence is unknown"]"#))
        #expect(text.contains("policy = \"allow\"\npolicy-reasons = []\n"))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock") == Self.judged())
    }

    @Test func aLockWithoutPolicyIsWrittenAsBefore() {
        #expect(!LockfileFormat.render(goldenLock).contains("policy"))
    }

    @Test(arguments: ["block", "Allow", "warn", ""])
    func aDecisionOtherThanAllowOrLogIsRefused(_ decision: String) throws {
        let text = LockfileFormat.render(Self.judged()).replacingOccurrences(of: "policy = \"log\"", with: "policy = \"\(decision)\"")
        let error = try #require(lockError(text))
        #expect(error.field == "model[2].policy")
        #expect(error.line == 27)
    }

    @Test func halvesAndAMissingDigestAreRefused() throws {
        let text = LockfileFormat.render(Self.judged())
        let noReasons = try #require(lockError(text.replacingOccurrences(of: "policy-reasons = []\n", with: "")))
        #expect(noReasons.field == "model[1].policy-reasons")
        #expect(noReasons.message.contains("missing"))
        let noDigest = try #require(lockError(text.replacingOccurrences(of: #"policy-digest = "sha256:\#(String(repeating: "5a", count: 32))""#, with: "")))
        #expect(noDigest.field == "model[1].policy")
        let badDigest = try #require(lockError(text.replacingOccurrences(of: "sha256:5a5a", with: "sha1:5a5a")))
        #expect(badDigest.field == "policy-digest")
        #expect(badDigest.line == 4)
    }
}

@Suite struct OMSSignedModelLockTests {
    static let key = OMSSigner.key(id: String(repeating: "ab12", count: 16))
    static let fingerprint = try! Fingerprint(parsing: "0123456789ABCDEF0123456789ABCDEF01234567")

    @Test func anOMSSignatureRecordsItsKindAndSignerAndRoundTrips() throws {
        var signed = model("signed", files: [file("config.json"), file("model.sig", blob: blobB)])
        signed.signers = [Self.fingerprint]
        signed.omsSigners = [.certificate(identity: "release@acme.test"), Self.key]  // sorted, as parsed
        signed.omsSignedBy = Self.key
        signed.signatures = ["model.sig"]
        let text = LockfileFormat.render(Lockfile(models: [signed]))
        #expect(text.contains("""
            signers = ["0123456789ABCDEF0123456789ABCDEF01234567", "oms-cert:release@acme.test", "\(Self.key)"]
            signature-kind = "oms-key"
            signed-by = "\(Self.key)"
            signatures = ["model.sig"]

            """))
        #expect(try LockfileFormat.parse(text, file: "modelpin.lock") == Lockfile(models: [signed]))

        var certified = signed
        certified.omsSignedBy = .certificate(identity: "release@acme.test")
        let certifiedText = LockfileFormat.render(Lockfile(models: [certified]))
        #expect(certifiedText.contains("signature-kind = \"oms-certificate\"\nsigned-by = \"oms-cert:release@acme.test\""))
        #expect(try LockfileFormat.parse(certifiedText, file: "modelpin.lock") == Lockfile(models: [certified]))
    }

    @Test func aKindThatDisagreesWithTheSignerOrAHandEditedPinIsRefused() throws {
        var signed = model("signed", files: [])
        signed.omsSigners = [Self.key]
        signed.omsSignedBy = Self.key
        signed.signatures = ["model.sig"]
        let text = LockfileFormat.render(Lockfile(models: [signed]))

        let openpgp = try #require(lockError(text.replacingOccurrences(of: "signature-kind = \"oms-key\"\n", with: "")))
        #expect(openpgp.field == "model[1].signature-kind")
        #expect(openpgp.message.contains("says `openpgp`"))
        let unknown = try #require(lockError(text.replacingOccurrences(of: "\"oms-key\"\n", with: "\"sigstore\"\n")))
        #expect(unknown.field == "model[1].signature-kind")
        #expect(unknown.message.contains("`oms-key`"))
        let upper = try #require(lockError(text.replacingOccurrences(of: "ab12", with: "AB12")))
        #expect(upper.field == "model[1].signers")
        #expect(upper.message.contains("`oms-key:HEX`"))
    }
}
