import Foundation
import PinDigest
import PinModel
import Testing
@testable import PinModelSigning

/// The strict `trusted_root.json` reader: everything it keeps, and each refusal by name.
@Suite struct TrustedRootTests {
    static func text() throws -> String { try Fixture.text("keyless/trusted_root.json") }

    static func parse(_ text: String) throws -> TrustedRoot {
        try TrustedRoot.parse(Array(text.utf8), file: "trusted_root.json")
    }

    @Test func readsCAsLogsAndCTLogs() throws {
        let bytes = try Fixture.bytes("keyless/trusted_root.json")
        let root = try TrustedRoot.parse(bytes, file: "trusted_root.json")
        #expect(root.id == PinDigest.SHA256.hash(bytes).hex)
        #expect(root.certificateAuthorities.count == 1)
        #expect(root.certificateAuthorities[0].chain.count == 2)
        #expect(root.transparencyLogs.map(\.baseURL) == ["https://rekor.example.test"])
        #expect(root.certificateTransparencyLogs.count == 1)
        #expect(TrustedRoot.claims(bytes))
        #expect(!TrustedRoot.claims(try Fixture.bytes("keyless/model.sig")))
    }

    @Test func refusesAnotherMediaType() throws {
        let text = try Self.text().replacingOccurrences(of: "trustedroot+json;version=0.1", with: "trustedroot+json;version=0.9")
        guard case .unsupportedFormat(let field, _) = reason({ _ = try Self.parse(text) }) else {
            Issue.record("another media type was read")
            return
        }
        #expect(field == "mediaType")
    }

    @Test func refusesADuplicateKey() throws {
        let text = try Self.text().replacingOccurrences(of: "\"baseUrl\": \"https://rekor.example.test\",",
                                                        with: "\"baseUrl\": \"https://rekor.example.test\", \"baseUrl\": \"https://evil.test\",")
        #expect(text != (try Self.text()))
        #expect(reason { _ = try Self.parse(text) } == .malformed(field: "baseUrl", problem: "appears twice in one object"))
        // An escaped spelling of the same key is the same key.
        let escaped = try Self.text().replacingOccurrences(of: "\"mediaType\":", with: "\"mediaType\": \"x\", \"medi\\u0061Type\":")
        #expect(reason { _ = try Self.parse(escaped) } == .malformed(field: "mediaType", problem: "appears twice in one object"))
    }

    @Test func refusesBadBase64AndBadDER() throws {
        var json = try JSONSerialization.jsonObject(with: Data(try Self.text().utf8)) as! [String: Any]
        var logs = json["tlogs"] as! [[String: Any]]
        var key = logs[0]["publicKey"] as! [String: Any]
        key["rawBytes"] = "not base64!"
        logs[0]["publicKey"] = key
        json["tlogs"] = logs
        let badBase64 = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        #expect(reason { _ = try Self.parse(badBase64) } == .malformed(field: "tlogs[0].publicKey.rawBytes", problem: "not base64"))

        var cas = json["certificateAuthorities"] as! [[String: Any]]
        cas[0]["certChain"] = ["certificates": [["rawBytes": Data("not DER".utf8).base64EncodedString()]]]
        json["certificateAuthorities"] = cas
        json["tlogs"] = (try JSONSerialization.jsonObject(with: Data(try Self.text().utf8)) as! [String: Any])["tlogs"]
        let badDER = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        guard case .badKeyMaterial = reason({ _ = try Self.parse(badDER) }) else {
            Issue.record("a CA that is not DER was read")
            return
        }
    }

    @Test func refusesAMissingLogIdAndAnUnknownKeyType() throws {
        let noID = try Self.text().replacingOccurrences(of: "\"logId\"", with: "\"logID\"")
        guard case .malformed(let field, _) = reason({ _ = try Self.parse(noID) }) else {
            Issue.record("a log without logId was read")
            return
        }
        #expect(field == "tlogs[0].logId")
        let ed25519 = try Self.text().replacingOccurrences(of: "PKIX_ECDSA_P256_SHA_256", with: "PKIX_ED25519")
        #expect(reason { _ = try Self.parse(ed25519) } == .unsupportedFormat(field: "tlogs[0].publicKey.keyDetails", value: "PKIX_ED25519"))
    }

    @Test func readsRFC3339TimesWithAndWithoutFractions() {
        #expect(RFC3339.seconds("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.seconds("2021-03-07T03:20:29.000Z") == 1_615_087_229)
        #expect(RFC3339.seconds("2021-03-07T03:20:29.5Z") == 1_615_087_229.5)
        #expect(RFC3339.seconds("2021-02-30T00:00:00Z") == nil)
        #expect(RFC3339.seconds("2021-03-07T03:20:29+01:00") == nil)
        #expect(RFC3339.seconds("2021-03-07 03:20:29Z") == nil)
    }

    @Test func anInclusionProofFollowsRFC6962() {
        // A 3-leaf tree: leaf 2 is the right edge, its path is the hash of leaves 0 and 1.
        let leaves = (0..<3).map { MerkleProof.leafHash([UInt8($0)]) }
        let left = MerkleProof.nodeHash(leaves[0], leaves[1])
        let root = MerkleProof.nodeHash(left, leaves[2])
        #expect(MerkleProof.root(leaf: leaves[2], index: 2, size: 3, path: [left]) == root)
        #expect(MerkleProof.root(leaf: leaves[0], index: 0, size: 3, path: [leaves[1], leaves[2]]) == root)
        #expect(MerkleProof.root(leaf: leaves[0], index: 0, size: 3, path: [leaves[1]]) == nil)
        #expect(MerkleProof.root(leaf: leaves[0], index: 3, size: 3, path: []) == nil)
    }
}
