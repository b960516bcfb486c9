import PinTransport
import Testing

@Suite("libcurl binding")
struct CurlLibraryTests {
    @Test func initialisesAndReportsAnHTTPSCapableBuild() {
        #expect(CurlLibrary.ensureInitialized())
        let info = CurlLibrary.info
        #expect(info.version.split(separator: ".").count == 3)
        #expect(info.supportsHTTPS)
        #expect(info.protocols.contains("http"))
        #expect(info.tlsLibrary?.hasPrefix("OpenSSL") == true)
    }
}

@Suite("libcurl options are checked")
struct CurlOptionTests {
    /// Values libcurl itself refuses (`CURLE_BAD_FUNCTION_ARGUMENT`): negative timeouts, and a
    /// string longer than its CURL_MAX_INPUT_LENGTH (8,000,000 bytes). Before every option's
    /// result was checked, each was ignored and the transfer ran without it.
    static func policy(refusedBy option: String) -> TransportPolicy {
        var policy = TransportPolicy()
        switch option {
        case "CURLOPT_CONNECTTIMEOUT": policy.connectTimeout = -1
        case "CURLOPT_LOW_SPEED_TIME": policy.stallTimeout = -1
        default: policy.userAgent = String(repeating: "m", count: 8_000_001)
        }
        return policy
    }

    @Test(arguments: ["CURLOPT_CONNECTTIMEOUT", "CURLOPT_LOW_SPEED_TIME", "CURLOPT_USERAGENT"])
    func aRefusedOptionIsAnErrorNamingIt(_ option: String) {
        let policy = Self.policy(refusedBy: option)
        #expect {
            try HTTPClient(policy: policy)
        } throws: { error in
            guard case .unsupportedOption(let name, _, let message)? = error as? TransportError else { return false }
            let described = error as! TransportError
            return name == option && !message.isEmpty && described.description.contains(option) && described.hint != nil
        }
    }

    @Test func theDefaultsAreAccepted() throws {
        _ = try HTTPClient(policy: TransportPolicy())
    }
}
