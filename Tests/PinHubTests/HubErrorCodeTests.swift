import PinModel
import PinTransport
import Testing

@testable import PinHub

/// How a failed answer becomes a HubError: by X-Error-Code first, as huggingface_hub's
/// hf_raise_for_status reads it, then by status; the repository's page is in every
/// access error, and the body only where no code explains the answer.
@Suite("Hub error codes")
struct HubErrorCodeTests {
    struct Case: Sendable, CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let tokenSent: Bool
        let says: String
        let hint: String?
        var description: String { "\(status) \(headers) token: \(tokenSent)" }
    }

    static let cases = [
        Case(status: 401, headers: ["X-Error-Code": "GatedRepo"], tokenSent: false,
             says: "`acme/m` is gated: you need to accept its conditions at https://hub.example/acme/m", hint: "request access at https://hub.example/acme/m"),
        Case(status: 403, headers: ["X-Error-Code": "GatedRepo", "X-Error-Message": "not in the authorized list"], tokenSent: true,
             says: "`acme/m` is gated", hint: "the token sent belongs to an account without access"),
        Case(status: 401, headers: ["X-Error-Code": "RepoNotFound"], tokenSent: false,
             says: "`acme/m` is private or does not exist (https://hub.example/acme/m)", hint: "set HF_TOKEN"),
        Case(status: 401, headers: [:], tokenSent: false, says: "`acme/m` is private or does not exist", hint: "set HF_TOKEN"),
        Case(status: 401, headers: ["X-Error-Message": "Invalid credentials in Authorization header"], tokenSent: true,
             says: "`https://hub.example` refused the token as invalid", hint: "https://hub.example/settings/tokens"),
        Case(status: 403, headers: [:], tokenSent: true, says: "access to `acme/m` was refused (https://hub.example/acme/m)", hint: "request access"),
        Case(status: 404, headers: ["X-Error-Code": "RevisionNotFound"], tokenSent: false, says: "revision `v9` does not exist in `acme/m`", hint: nil),
        Case(status: 503, headers: [:], tokenSent: false, says: "answered HTTP 503", hint: nil),
    ]

    @Test(arguments: cases)
    func classifies(_ test: Case) throws {
        let url = HTTPURL("https://hub.example/api/models/acme/m/revision/v9")!
        let head = HTTPResponseHead(status: test.status, headers: test.headers.map { (name: $0.key.lowercased(), value: $0.value) }, url: url)
        let transport = TransportError.http(url.description, status: test.status, head: head, body: #"{"error":"raw body"}"#)
        let error = HubError.from(transport, repo: "acme/m", endpoint: try HubEndpoint("https://hub.example/"), revision: "v9", tokenSent: test.tokenSent)
        #expect(error.description.contains(test.says), "\(error.description)")
        if let hint = test.hint { #expect(error.hint?.contains(hint) == true, "\(error.hint ?? "no hint")") }
        let shown = ([error.description] + error.causes + [error.hint ?? ""]).joined(separator: " ")
        // The Hub's codes explain themselves; a body is shown only where no code does.
        #expect(shown.contains("raw body") == (test.headers.isEmpty && [403, 503].contains(test.status)), "\(shown)")
        // Access answers are not temporary; a 503 after the retries is.
        #expect(error.kind == (test.status == 503 ? .unavailable : .operational))
    }
}
