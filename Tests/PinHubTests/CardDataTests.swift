import PinHub
import PinModel
import PinTestSupport
import PinTransport
import Testing

/// The revision answer's `cardData` and `lastModified`: read when they have the spec's shape,
/// left out (never a failed resolve) when not.
@Suite struct CardDataTests {
    func resolve(cardData: String?) throws -> Snapshot {
        var repo = FakeHub.Repo(id: "acme/tiny", files: [FakeHub.File("config.json", Array("{}".utf8))])
        repo.cardData = cardData
        repo.lastModified[String(repeating: "ab", count: 20)] = "2024-07-23T16:08:02.000Z"
        let hub = try FakeHub(repos: [repo])
        defer { hub.hub.stop(); hub.cdn.stop() }
        let endpoint = try HubEndpoint(hub.hub.baseURL)
        var policy = TransportPolicy()
        endpoint.configure(&policy, token: nil)
        return try HubClient(endpoint: endpoint).resolve(try RepoID(parsing: "acme/tiny"), revision: "main", using: HTTPClient(policy: policy))
    }

    @Test func readsTheCardAsTheHubParsedIt() throws {
        let snapshot = try resolve(cardData: #"{"license": "apache-2.0", "datasets": ["acme/corpus"], "language": "en", "pipeline_tag": "text-generation", "base_model": ["a/b", "c/d"], "model-index": [{"name": "x"}]}"#)
        let card = try #require(snapshot.cardData)
        #expect(card.licenses == ["apache-2.0"])
        #expect(card.datasets == ["acme/corpus"])
        #expect(card.languages == ["en"])
        #expect(card.pipelineTag == "text-generation")
        #expect(card.baseModels == ["a/b", "c/d"])
        #expect(snapshot.lastModified == 1_721_750_882)
    }

    @Test(arguments: [#"{"license": 5, "tags": [1, 2], "datasets": {"a": "b"}}"#, #""a string""#, "[1, 2]"])
    func oddShapesAreLeftOut(cardData: String) throws {
        let snapshot = try resolve(cardData: cardData)
        #expect(snapshot.cardData?.isEmpty ?? true)
        #expect(snapshot.commit.hex == String(repeating: "ab", count: 20))
    }
}
