import PinRegistry
import Testing

@Suite("AuthChallenge")
struct AuthChallengeTests {
    @Test("a Bearer challenge as distribution sends it")
    func bearer() throws {
        let challenges = try AuthChallenge.parse(
            #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="insufficient_scope""#)
        #expect(challenges == [AuthChallenge(scheme: "bearer", parameters: [
            "realm": "https://auth.example/token", "service": "registry.example",
            "scope": "repository:a/b:pull,push", "error": "insufficient_scope",
        ])])
    }

    @Test("several challenges, bare values, escapes and spacing")
    func several() throws {
        let challenges = try AuthChallenge.parse(#"Basic realm="a \"quoted\" realm" , Bearer realm=tokens, service = reg/x== ,Newauth"#)
        #expect(challenges.map(\.scheme) == ["basic", "bearer", "newauth"])
        #expect(challenges[0].parameters == ["realm": #"a "quoted" realm"#])
        #expect(challenges[1].parameters == ["realm": "tokens", "service": "reg/x=="])
        #expect(challenges[2].parameters.isEmpty)
    }

    @Test("malformed headers are refused", arguments: [
        "", "   ", #"Bearer realm="unterminated"#, #"Bearer realm="a",realm="b""#, "Bearer realm=", "Bearer =x",
        "Bearer realm=\"a\u{01}b\"", #"Bearer realm="x" junk"#, "Bearer,,", #"Bearer realm="x\"#, String(repeating: "a", count: 9000),
        #"Bearer realm="x"; service="y""#, "Bearer realm=https://unquoted/url",
    ])
    func malformed(header: String) {
        #expect(throws: ChallengeSyntaxError.self) { try AuthChallenge.parse(header) }
    }
}
