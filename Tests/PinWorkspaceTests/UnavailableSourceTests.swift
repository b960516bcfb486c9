import Foundation
import PinDigest
import PinModel
import PinTestSupport
import PinTransport
import PinWorkspace
import Testing

/// A source that is down is reported once for all its files, and a pull that ends on it says
/// which source and how many files, as a temporary failure (`.unavailable`, exit 75).
@Suite("A source that is down: one event, one error")
struct UnavailableSourceTests {
    @Test func aHubThatIsDownIsOneEventAndOneError() throws {
        try TestWorkspace.with { workspace in
            workspace.hub.configure {
                $0.failStatus = 503
                $0.failCount = 1000
            }
            let locked = LockedPuller(puller: workspace.puller)
            let error = #expect(throws: ProjectError.self) { try locked.fetch([try MirrorFallbackTests.lockedTinyModel(workspace.hub)]) }
            guard case .sourcesUnavailable(let sources, let missing, let reason)? = error else {
                Issue.record("\(String(describing: error))")
                return
            }
            #expect(sources == [TestWorkspace.hubBase])
            #expect(missing.count == 4)
            #expect(reason.contains("answered HTTP 503"))
            #expect(error?.kind == .unavailable)
            #expect(workspace.reporter.fallbacks.isEmpty)
            let grouped = workspace.reporter.events.compactMap { event -> (String, [String])? in
                guard case .sourceUnavailable(let source, let paths, _) = event else { return nil }
                return (source, paths)
            }
            #expect(grouped.count == 1)
            #expect(grouped.first?.0 == TestWorkspace.hubBase && Set(grouped.first?.1 ?? []) == Set(TestWorkspace.tinyFiles.map(\.path)))
        }
    }

    /// A mirror that is down is one event too, and the Hub behind it still serves every file.
    @Test func aMirrorThatIsDownIsOneEventAndTheHubServes() throws {
        try TestWorkspace.with { workspace in
            workspace.http.route("https://mirror.test") { _ in .text(503, "maintenance") }
            var locked = LockedPuller(puller: workspace.puller)
            locked.mirrors = [try MirrorSource(parsing: "https://mirror.test")]
            let outcome = try locked.fetch([try MirrorFallbackTests.lockedTinyModel(workspace.hub)])
            #expect(outcome.fetched.map(\.source) == [TestWorkspace.hubBase])
            #expect(workspace.reporter.fallbacks.isEmpty)
            #expect(workspace.reporter.events.filter { if case .sourceUnavailable = $0 { true } else { false } }.count == 1)
        }
    }
}
