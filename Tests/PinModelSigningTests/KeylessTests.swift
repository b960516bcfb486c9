import Foundation
import Testing
@testable import PinModelSigning

/// Keyless (Sigstore) bundles against the synthetic Fulcio CA and Rekor log key that
/// Fixtures/generate-keyless.py made with Python's `cryptography` (no network, fixed times).
@Suite struct KeylessTests {
    static func root(_ name: String = "trusted_root.json") throws -> TrustedRoot {
        try TrustedRoot.parse(try Fixture.bytes("keyless/\(name)"), file: name)
    }

    static func bundle(_ name: String) throws -> ModelSignature {
        try ModelSignature.parse(try Fixture.bytes("keyless/\(name)"), file: name)
    }

    static func verify(_ name: String, roots: [String] = ["trusted_root.json"]) throws -> SignerIdentity {
        try bundle(name).verify(trust: TrustAnchors(trustedRoots: try roots.map { try root($0) }))
    }

    /// The bundle's JSON with one change, re-parsed.
    static func edited(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> ModelSignature {
        var json = try JSONSerialization.jsonObject(with: Data(try Fixture.bytes("keyless/\(name)"))) as! [String: Any]
        edit(&json)
        return try ModelSignature.parse(Array(try JSONSerialization.data(withJSONObject: json)), file: name)
    }

    static func editEntry(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var material = json["verificationMaterial"] as! [String: Any]
        var entries = material["tlogEntries"] as! [[String: Any]]
        edit(&entries[0])
        material["tlogEntries"] = entries
        json["verificationMaterial"] = material
    }

    @Test func verifiesWithTheSuppliedRootAndNamesIssuerAndSAN() throws {
        let root = try Self.root()
        let identity = try Self.verify("model.sig")
        #expect(identity == .sigstore(identity: "https://issuer.example.test|publisher@example.com", trustedRoot: root.id))
        // Without an inclusion proof the SET alone vouches for the entry.
        #expect(try Self.verify("model-no-proof.sig") == identity)
    }

    @Test func theStatementStillHasToMatchTheModel() throws {
        let signature = try Self.bundle("model.sig")
        _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()]))
        let files = try Fixture.modelFiles()
        _ = try signature.checkResources(files, reader: DirectoryReader(), signatureFile: "model.sig")
        let tampered = DirectoryReader(replaced: ["config.yaml": Array("config: {layers: 3}\n".utf8)])
        guard case .tamperedFile = reason({ _ = try signature.checkResources(files, reader: tampered, signatureFile: "model.sig") }) else {
            Issue.record("a tampered file passed")
            return
        }
    }

    @Test func withoutATrustedRootItIsNotSupportedOffline() throws {
        #expect(reason { _ = try Self.bundle("model.sig").verify(trust: TrustAnchors()) } == .keylessUnsupported)
        let error = ModelSigningError(file: "model.sig", reason: .keylessUnsupported)
        #expect(error.description.contains("not supported offline"))
        #expect(error.hint?.contains("modelpin keys import trusted_root.json") == true)
    }

    @Test func aLeafFromAnotherCAIsRefused() throws {
        guard case .untrustedCertificate = reason({ _ = try Self.verify("other-ca.sig") }) else {
            Issue.record("a leaf of another CA verified")
            return
        }
    }

    @Test func aLeafWithoutCodeSigningIsRefused() throws {
        guard case .certificateNotForSigning = reason({ _ = try Self.verify("no-codesigning.sig") }) else {
            Issue.record("a leaf without codeSigning verified")
            return
        }
    }

    @Test func aLogTimeAfterTheLeafExpiredIsRefused() throws {
        guard case .outsideValidity(let what, let time) = reason({ _ = try Self.verify("after-leaf-expiry.sig") }) else {
            Issue.record("a signature logged after the leaf expired verified")
            return
        }
        #expect(what.contains("signing certificate"))
        #expect(time == "2026-06-01T13:00:00Z")
    }

    @Test func aLogTimeBeforeTheCAsWindowIsRefused() throws {
        guard case .outsideValidity(let what, _) = reason({ _ = try Self.verify("model.sig", roots: ["trusted_root-ca-later.json"]) }) else {
            Issue.record("a chain to a CA outside its validFor verified")
            return
        }
        #expect(what.contains("Fulcio CA"))
    }

    @Test func aPromiseByAnotherKeyIsRefused() throws {
        guard case .badLogPromise = reason({ _ = try Self.verify("set-by-other-key.sig") }) else {
            Issue.record("a SET by another key verified")
            return
        }
    }

    @Test func anEntryFromAnUnknownLogIsRefused() throws {
        guard case .unknownTransparencyLog = reason({ _ = try Self.verify("unknown-log.sig") }) else {
            Issue.record("an entry of an unknown log verified")
            return
        }
    }

    @Test func aTamperedBodyBreaksThePromise() throws {
        let signature = try Self.edited("model.sig") { json in
            Self.editEntry(&json) { entry in
                var body = Array(Data(base64Encoded: entry["canonicalizedBody"] as! String)!)
                body[body.count - 3] ^= 0x01
                entry["canonicalizedBody"] = Data(body).base64EncodedString()
            }
        }
        guard case .badLogPromise = reason({ _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()])) }) else {
            Issue.record("a tampered body verified")
            return
        }
    }

    @Test func aChangedIntegratedTimeBreaksThePromise() throws {
        let signature = try Self.edited("model.sig") { json in
            Self.editEntry(&json) { $0["integratedTime"] = "1780315300" }
        }
        guard case .badLogPromise = reason({ _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()])) }) else {
            Issue.record("a moved integratedTime verified")
            return
        }
    }

    @Test func anInclusionProofWithAWrongHashIsRefused() throws {
        let signature = try Self.edited("model.sig") { json in
            Self.editEntry(&json) { entry in
                var proof = entry["inclusionProof"] as! [String: Any]
                var hashes = proof["hashes"] as! [String]
                hashes[0] = Data(repeating: 7, count: 32).base64EncodedString()
                proof["hashes"] = hashes
                entry["inclusionProof"] = proof
            }
        }
        guard case .badInclusionProof = reason({ _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()])) }) else {
            Issue.record("a wrong audit path verified")
            return
        }
    }

    @Test func aCheckpointForAnotherTreeIsRefused() throws {
        let signature = try Self.edited("model.sig") { json in
            Self.editEntry(&json) { entry in
                var proof = entry["inclusionProof"] as! [String: Any]
                var checkpoint = proof["checkpoint"] as! [String: Any]
                checkpoint["envelope"] = (checkpoint["envelope"] as! String).replacingOccurrences(of: "\n7\n", with: "\n8\n")
                proof["checkpoint"] = checkpoint
                entry["inclusionProof"] = proof
            }
        }
        guard case .badInclusionProof = reason({ _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()])) }) else {
            Issue.record("a checkpoint of another size verified")
            return
        }
    }

    @Test func anEntryForAnotherEnvelopeIsRefused() throws {
        guard case .logEntryForOtherSignature = reason({ _ = try Self.verify("entry-for-other-envelope.sig") }) else {
            Issue.record("an entry about another envelope verified")
            return
        }
    }

    @Test func aSwappedEnvelopeSignatureIsRefused() throws {
        // The entry still vouches for the original signature, so the envelope no longer matches it.
        let signature = try Self.edited("model.sig") { json in
            var envelope = json["dsseEnvelope"] as! [String: Any]
            envelope["signatures"] = [["sig": Data([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).base64EncodedString()]]
            json["dsseEnvelope"] = envelope
        }
        guard case .logEntryForOtherSignature = reason({ _ = try signature.verify(trust: TrustAnchors(trustedRoots: [try Self.root()])) }) else {
            Issue.record("a swapped signature verified")
            return
        }
    }

    @Test func everyImportedRootIsACandidate() throws {
        // Both roots name the log; only one's CA window holds. Either order verifies, and the
        // identity names the root that vouched.
        let good = try Self.root().id
        for roots in [["trusted_root-ca-later.json", "trusted_root.json"], ["trusted_root.json", "trusted_root-ca-later.json"]] {
            guard case .sigstore(_, let root) = try Self.verify("model.sig", roots: roots) else {
                Issue.record("not a keyless identity")
                continue
            }
            #expect(root == good)
        }
    }
}
