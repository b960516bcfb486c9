import PinModel
import Testing

@Suite struct SignerIDTests {
    static let id = String(repeating: "ab12", count: 16)

    @Test func bareHexIsOpenPGPAndAPrefixMakesAnOMSPin() throws {
        #expect(try SignerID(parsing: "0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567")
            == .openpgp(try Fingerprint(parsing: "0123456789ABCDEF0123456789ABCDEF01234567")))
        // 64 hex digits without a prefix stay an OpenPGP (v6) fingerprint, refused as today.
        let long = try #require(throws: SignerIDError.self) { try SignerID(parsing: Self.id) }
        #expect(long.description.contains("64-hex (v5 or v6) OpenPGP fingerprint"))
        #expect(try SignerID(parsing: "oms-key:\(Self.id.uppercased())") == .oms(.key(id: Self.id)))
        #expect(try SignerID(parsing: " oms-cert:release@acme.test ") == .oms(.certificate(identity: "release@acme.test")))
    }

    @Test func theCanonicalSpellingRoundTrips() throws {
        for text in ["0123456789ABCDEF0123456789ABCDEF01234567", "oms-key:\(Self.id)", "oms-cert:https://acme.test/release"] {
            #expect(try SignerID(parsing: text).description == text)
        }
        #expect(try SignerID(parsing: "oms-key:\(Self.id)").kind == .omsKey)
        #expect(try SignerID(parsing: "oms-cert:a@b").kind == .omsCertificate)
        #expect(try SignerID(parsing: "0123456789ABCDEF0123456789ABCDEF01234567").kind == .openpgp)
    }

    @Test(arguments: [
        ("oms-key:abcd", SignerIDError.Problem.keyID),
        ("oms-key:\(String(repeating: "g", count: 64))", .keyID),
        ("oms-cert:", .identity),
        ("oms-cert:a\u{0}b", .identity),
        ("oms-cert:" + String(repeating: "a", count: 1025), .identity),
        ("oms-keys:\(String(repeating: "a", count: 64))", .prefix),
        ("OMS-KEY:\(String(repeating: "a", count: 64))", .prefix),
    ])
    func malformedOMSPinsAreRefusedWithTheirProblem(_ text: String, _ problem: SignerIDError.Problem) throws {
        let error = try #require(throws: SignerIDError.self) { try SignerID(parsing: text) }
        #expect(error.problem == problem)
        #expect(error.kind == .usage)
    }

    @Test func splitSortsAndDropsRepeats() throws {
        let pins = try ["oms-key:\(Self.id)", "1111111111111111111111111111111111111111", "oms-key:\(Self.id)", "oms-cert:a@b"].map(SignerID.init(parsing:))
        let (openpgp, oms) = SignerID.split(pins)
        #expect(openpgp.map(\.hex) == ["1111111111111111111111111111111111111111"])
        #expect(oms == [.certificate(identity: "a@b"), .key(id: Self.id)])
    }
}
