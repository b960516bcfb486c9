import PinStore

extension Workspace {
    /// `pull ORG/NAME[@REVISION]`: one model by name, outside any project, resolved against
    /// `--endpoint`, `MODELPIN_ENDPOINT`, `HF_ENDPOINT` or the Hub.
    public func pull(_ request: PullRequest) throws -> PullSummary {
        let store = try openStore(.readWrite)
        let puller = try puller(store: store, endpoint: configuration.resolveEndpoint(manifest: nil))
        return try puller.pull(request)
    }
}
