import PinDigest
import PinModel
import PinTestSupport
import PinTransport
import PinWorkspace
import Testing

/// One typed event stream says what a pull did, and the gates' decisions are values a review
/// (a policy, later) can change before the workflow acts on them.
@Suite("Events and decisions, in process")
struct EventsAndDecisionsTests {
    @Test func aPullReportsEachFileFromResolutionToItsDirectory() throws {
        try TestWorkspace.with { workspace in
            _ = try workspace.pull("acme/tiny-model")
            let events = workspace.reporter.events
            let paths = TestWorkspace.tinyFiles.map(\.path).sorted()

            guard case .decided(let names)? = events.first else {
                Issue.record("the names gate decides first: \(events.prefix(2))")
                return
            }
            // No allowlist in this workspace: a warning, not a silent pass.
            #expect(names.gate == .names && names.subject == "acme/tiny-model")
            guard case .warn = names.decision else { Issue.record("\(names.decision)"); return }
            guard case .finished(let operation, _)? = events.last else { Issue.record("\(String(describing: events.last))"); return }
            #expect(operation == "pull")
            #expect(events.contains { if case .resolved(let snapshot, let present) = $0 { snapshot.files.map(\.path) == paths && present.isEmpty } else { false } })

            var verified: [String: FileOrigin] = [:]
            var scanned: [String] = []
            var allowed: [String] = []
            var laidOut: [String] = []
            for event in events {
                switch event {
                case .verified(let path, _, _, let origin): verified[path] = origin
                case .scanned(let path, _, let verdict): if verdict == .safe { scanned.append(path) }
                case .decided(let decision) where decision.gate == .scan:
                    if case .allow = decision.decision { allowed.append(decision.subject) }
                case .materialized(let path, _, _): laidOut.append(path)
                default: break
                }
            }
            #expect(verified.keys.sorted() == paths)
            #expect(verified.values.allSatisfy { $0 == .fetched(source: TestWorkspace.hubBase) }, "\(verified)")
            #expect(scanned.count == paths.count && allowed.count == paths.count)
            #expect(laidOut.sorted() == paths)
        }
    }

    @Test func aReviewCanTurnAScanRefusalIntoAWarningWithoutOtherPlumbing() throws {
        let pickle: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 10, 0, 0, 0] + Array("echo pwned".utf8) + [0x85, 0x52, 0x2E]
        let repo = FakeHub.Repo(id: "acme/legacy", commit: TestWorkspace.commit, files: [
            FakeHub.File("config.json", TestWorkspace.config),
            FakeHub.File("pytorch_model.bin", pickle, lfs: true),
        ])
        try TestWorkspace.with(repos: [repo]) { workspace in
            // As decided: refused, nothing of it stored or laid out.
            let refusal = #expect(throws: PullError.self) { try workspace.pull("acme/legacy") }
            #expect(refusal?.kind == .refused)
            #expect(!workspace.stores(pickle))

            // A review that downgrades scan refusals (what a permissive policy would do).
            var puller = workspace.puller
            puller.review = Downgrade()
            var request = PullRequest(name: "acme/legacy", revision: "main", workingDirectory: workspace.directory)
            request.destination = workspace.destination
            let summary = try puller.pull(request)
            #expect(summary.files.first { $0.path == "pytorch_model.bin" }?.verdict == .unsafe)
            #expect(try workspace.pulled("pytorch_model.bin") == pickle)
            #expect(workspace.reporter.warnings.contains { $0.contains("pytorch_model.bin") && $0.contains("downgraded") })
        }
    }
}

/// Turns every scan refusal into a warning that names it.
struct Downgrade: DecisionReview {
    func review(_ decision: GateDecision) -> GateDecision {
        guard decision.gate == .scan, case .refuse(let error) = decision.decision else { return decision }
        var changed = decision
        changed.decision = .warn(["downgraded: \(decision.subject): \(error.description)"])
        return changed
    }
}
