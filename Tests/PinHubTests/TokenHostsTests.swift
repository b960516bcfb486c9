import PinTransport
import Testing

@testable import PinHub

@Suite("Which endpoints HF_TOKEN may go to")
struct TokenHostsTests {
    /// (configured endpoints, MODELPIN_TOKEN_HOSTS, the endpoint in use, trusted?)
    @Test(arguments: [
        ([], nil, "https://huggingface.co", true),  // the Hub itself
        ([], nil, "https://huggingface.co/", true),
        ([], nil, "https://evil.test", false),  // named only by a file in the repository
        ([], nil, "https://huggingface.co.evil.test", false),
        ([], nil, "http://huggingface.co", false),  // the Hub, but over plain http
        (["https://hub.corp.test/hf"], nil, "https://hub.corp.test/other", true),  // an origin, any path
        (["https://hub.corp.test"], nil, "https://hub.corp.test:8443", false),
        (["http://127.0.0.1:8080"], nil, "http://127.0.0.1:8080", true),
        ([], "hub.corp.test", "https://hub.corp.test:8443", true),  // a bare host: any port…
        ([], "hub.corp.test", "http://hub.corp.test", false),  // …over https only
        ([], "HUB.corp.test, other.test", "https://other.test", true),
        ([], "hub.corp.test:8443", "https://hub.corp.test", false),
        ([], "hub.corp.test:8443", "https://hub.corp.test:8443", true),
        ([], "http://127.0.0.1:9000", "http://127.0.0.1:9000", true),
        ([], "http://127.0.0.1:9000", "http://127.0.0.1:9001", false),
        ([], "[::1]:9000", "https://[::1]:9000", true),
        ([], "  ", "https://evil.test", false),
    ] as [([String], String?, String, Bool)])
    func trustsOnlyHostsConfiguredOutsideTheRepository(_ endpoints: [String], _ listed: String?, _ endpoint: String, _ trusted: Bool) throws {
        let hosts = try TokenHosts(endpoints: endpoints, listed: listed)
        #expect(hosts.trusts(try HubEndpoint(endpoint)) == trusted)
    }

    @Test(arguments: ["https://hub.test/path", "https://user@hub.test", "ftp://hub.test", "hub.test/x", "hüb.test", "hub.test:0", ":443"])
    func refusesEntriesThatAreNotHosts(_ entry: String) {
        #expect {
            try TokenHosts(endpoints: [], listed: "ok.test,\(entry)")
        } throws: { error in
            guard case .badTokenHost(let text, _) = error as? HubError else { return false }
            return text == entry
        }
    }
}
