import PinAudit
import PinDigest
import PinModel
@testable import PinWorkspace
import Testing

/// What an operation's events become in the audit log, as values: the mapping `audit show`
/// and an auditor rely on, checked without a log.
@Suite("Audit recorder: events to entries")
struct AuditRecorderTests {
    static let digest = SHA256.hash(Array("weights".utf8))

    static let blobID = try! GitBlobID(parsing: String(repeating: "ab", count: 20))

    static func refusal() -> any ModelpinError { AuditSettingsError(value: "x") }

    @Test func everyDecisionButAScanAllowIsAnEntryWithItsGate() throws {
        let recorder = AuditRecorder()
        recorder.emit(.decided(GateDecision(gate: .names, subject: "acme/tiny", decision: .allow)))
        recorder.emit(.decided(GateDecision(gate: .scan, subject: "config.json", decision: .allow)))
        recorder.emit(.decided(GateDecision(gate: .names, subject: "acme/tinny", decision: .refuse(Self.refusal()))))
        recorder.emit(.decided(GateDecision(gate: .signature, subject: "tiny", decision: .warn(["reviewed: unsigned"]))))
        let entries = recorder.entries(ending: .ok, user: "alice", command: "pull")
        let decisions = entries.filter { $0.kind == AuditKind.decision.rawValue }
        #expect(decisions.map(\.outcome) == ["allowed", "refused", "warned"])
        #expect(decisions.map { $0.extra["gate"] } == [.string("names"), .string("names"), .string("signature")])
        #expect(decisions[1].extra["subject"] == .string("acme/tinny"))
        #expect(decisions[1].reasons.first == Self.refusal().description)
        #expect(decisions[2].reasons == ["reviewed: unsigned"])
        #expect(entries.allSatisfy { $0.user == "alice" && $0.command == "pull" })
        #expect(entries.last?.kind == AuditKind.operation.rawValue && entries.last?.outcome == "ok")
    }

    @Test func progressEventsLeaveNoTrace() {
        let recorder = AuditRecorder()
        let file = SnapshotFile(path: "model.safetensors", size: 7, gitBlobID: Self.blobID, sha256: Self.digest, isLFS: true)
        recorder.emit(.sourceChosen(file: file, source: "https://hub.test", resumedBytes: 0))
        for _ in 0..<1000 { recorder.emit(.received(path: "model.safetensors", bytes: 1 << 20)) }
        recorder.emit(.retrying(path: "model.safetensors", attempt: 2, afterSeconds: 1, reason: "503"))
        recorder.emit(.warning("a note"))
        recorder.emit(.finished(operation: "pull", seconds: 1))
        recorder.emit(.scanned(path: "model.safetensors", digest: Self.digest, verdict: .safe))
        let entries = recorder.entries(ending: .ok, user: "u", command: "pull")
        #expect(entries.map(\.kind) == ["operation"])
    }

    @Test func aLyingMirrorIsARefusalAndAFallbackThenTheVerdictsThatMatter() {
        let recorder = AuditRecorder()
        recorder.emit(.refused(path: "model.safetensors", source: "file:///mirror", reason: "digest mismatch"))
        recorder.emit(.fallback(path: "model.safetensors", source: "file:///mirror", reason: "digest mismatch", refused: true))
        recorder.emit(.sourceUnavailable(source: "https://hub.test", paths: ["a", "b"], reason: "503"))
        recorder.emit(.scanned(path: "tokenizer.model", digest: Self.digest, verdict: .unsupported))
        recorder.emit(.signatureChecked(model: "tiny", kind: .openpgp, signer: "ABCD", userID: "Release <r@example>", documents: ["SHA256SUMS.asc"]))
        let entries = recorder.entries(ending: .ok, user: "u", command: "pull")
        #expect(entries.map(\.kind) == ["refusal", "fallback", "source-unavailable", "scan", "signature", "operation"])
        #expect(entries[0].extra["source"] == .string("file:///mirror") && entries[0].reasons == ["digest mismatch"])
        #expect(entries[1].extra["refused"] == .bool(true) && entries[1].outcome == "fallback")
        #expect(entries[2].extra["paths"] == .strings(["a", "b"]))
        #expect(entries[3].outcome == "unsupported" && entries[3].extra["digest"] == .string(Self.digest.description))
        #expect(entries[4].extra["signer"] == .string("ABCD") && entries[4].extra["user-id"] == .string("Release <r@example>"))
        #expect(entries[4].extra["kind"] == .string("openpgp"))
    }

    @Test func aFailedOperationSaysWhyAndWhatItHadVerified() throws {
        let recorder = AuditRecorder()
        let commit = try CommitID(parsing: String(repeating: "1a2b", count: 10))
        let files = [
            SnapshotFile(path: "config.json", size: 2, gitBlobID: Self.blobID, sha256: Self.digest, isLFS: false),
            SnapshotFile(path: "model.safetensors", size: 7, gitBlobID: Self.blobID, sha256: nil, isLFS: true),
        ]
        let snapshot = ResolvedSnapshot(
            repo: try RepoID(parsing: "acme/tiny"), revision: "main", commit: commit, files: files, source: "hub", endpoint: "https://hub.test")
        recorder.emit(.resolved(snapshot, present: []))
        recorder.emit(.verified(path: "config.json", digest: Self.digest, size: 2, origin: .fetched(source: "hub")))
        let entries = recorder.entries(ending: .failed(Self.refusal(), cancelled: false), user: "u", command: "pull")
        #expect(entries.map(\.kind) == ["model", "operation"])
        #expect(entries[0].repo == "acme/tiny" && entries[0].commit == commit.hex)
        #expect(entries[0].digests == ["config.json": Self.digest.description])
        #expect(entries[0].outcome == "failed" && entries[1].outcome == "failed")
        #expect(entries[1].reasons == [Self.refusal().description])

        let cancelled = AuditRecorder().entries(ending: .failed(Self.refusal(), cancelled: true), user: "u", command: "pull")
        #expect(cancelled.last?.outcome == "cancelled")
    }

    @Test func namedModelsReplaceTheResolvedOnesAndProblemsMakeARefusal() {
        let recorder = AuditRecorder()
        var model = AuditEntry(.model, outcome: "")
        model.repo = "acme/tiny"
        recorder.model(model)
        var refused = model
        refused.outcome = "refused"
        recorder.model(refused)
        recorder.problems(["tiny: config.json: modified"])
        recorder.operation("lockfile", .string("/p/modelpin.lock"))
        let entries = recorder.entries(ending: .ok, user: "u", command: "verify")
        #expect(entries.map(\.outcome) == ["refused", "refused", "refused"])
        #expect(entries.last?.reasons == ["tiny: config.json: modified"])
        #expect(entries.last?.extra["lockfile"] == .string("/p/modelpin.lock"))
        // An empty list of problems is none.
        let clean = AuditRecorder()
        clean.problems([])
        #expect(clean.entries(ending: .ok, user: "u", command: "verify").last?.outcome == "ok")
    }

    @Test func auditModeTakesOnOrOffAndNothingElse() throws {
        #expect(try AuditSettings(environment: [:]).isEnabled())
        #expect(try AuditSettings(environment: ["MODELPIN_AUDIT": "on"]).isEnabled())
        #expect(try !AuditSettings(environment: ["MODELPIN_AUDIT": "OFF"]).isEnabled())
        #expect(throws: AuditSettingsError.self) { try AuditSettings(environment: ["MODELPIN_AUDIT": "0"]).isEnabled() }
        #expect(!AuditSettings(environment: [:]).user.isEmpty)
    }
}
