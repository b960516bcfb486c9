import PinLock
import PinTestSupport
import PinTransport
import PinWorkspace
import Testing

@Suite("Ctrl-C while a pull resolves")
struct InterruptedResolveTests {
    /// The flag fires while the revision, or the file listing, is being fetched: the pull is
    /// interrupted (the CLI's exit 130 and "run the same command again"), not a network error.
    @Test(arguments: ["/revision/main", "/tree/"])
    func aPullIsInterrupted(_ fragment: String) throws {
        try TestWorkspace.with { workspace in
            let flag = workspace.cancellation
            workspace.http.intercept(fragment) { _ in
                flag.cancel()
                return nil
            }
            #expect {
                try workspace.pull("acme/tiny-model")
            } throws: { error in
                guard case .interrupted? = error as? PullError else { return false }
                return true
            }
            #expect(workspace.requests(containing: "https://cdn.test/").isEmpty)
        }
    }

    /// `lock` and `add` resolve through the same path.
    @Test func aLockIsInterrupted() throws {
        try TestWorkspace.with { workspace in
            let flag = workspace.cancellation
            workspace.http.intercept("/tree/") { _ in
                flag.cancel()
                return nil
            }
            #expect {
                try Locker(puller: workspace.puller).resolve(
                    ModelRequest(alias: try ModelAlias(validating: "tiny"), repo: "acme/tiny-model"), previous: nil, endpoint: TestWorkspace.hubBase)
            } throws: { error in
                guard case .interrupted? = error as? PullError else { return false }
                return true
            }
        }
    }
}
