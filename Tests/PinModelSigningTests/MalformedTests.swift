import Foundation
@testable import PinModelSigning
import Testing

/// Hostile bundles: each malformed field is named.
@Suite("malformed model.sig fields are named")
struct MalformedTests {
    typealias JSON = [String: Any]

    /// The p256 fixture as JSON, edited by `edit`, and its statement by `statement`.
    static func parse(edit: (inout JSON) -> Void = { _ in }, statement: ((inout JSON) -> Void)? = nil) -> ModelSigningError.Reason? {
        reason {
            var bundle = try! JSONSerialization.jsonObject(with: Data(try! Fixture.bytes("signatures/key-p256.sig"))) as! JSON
            if let statement {
                var envelope = bundle["dsseEnvelope"] as! JSON
                var payload = try! JSONSerialization.jsonObject(with: Data(base64Encoded: envelope["payload"] as! String)!) as! JSON
                statement(&payload)
                envelope["payload"] = try! JSONSerialization.data(withJSONObject: payload).base64EncodedString()
                bundle["dsseEnvelope"] = envelope
            }
            edit(&bundle)
            _ = try ModelSignature.parse(Array(try! JSONSerialization.data(withJSONObject: bundle)), file: "model.sig")
        }
    }

    static func predicate(_ body: @escaping (inout JSON) -> Void) -> (inout JSON) -> Void {
        { statement in
            var predicate = statement["predicate"] as! JSON
            body(&predicate)
            statement["predicate"] = predicate
        }
    }

    static func serialization(_ body: @escaping (inout JSON) -> Void) -> (inout JSON) -> Void {
        predicate { predicate in
            var serialization = predicate["serialization"] as! JSON
            body(&serialization)
            predicate["serialization"] = serialization
        }
    }

    static func firstResource(_ body: @escaping (inout JSON) -> Void) -> (inout JSON) -> Void {
        predicate { predicate in
            var resources = predicate["resources"] as! [JSON]
            body(&resources[0])
            predicate["resources"] = resources
        }
    }

    @Test func bundleFields() {
        #expect(Self.parse { $0["mediaType"] = nil } == .malformed(field: "mediaType", problem: "missing"))
        #expect(Self.parse { $0["mediaType"] = 3 } == .malformed(field: "mediaType", problem: "expected a string"))
        #expect(Self.parse { $0["mediaType"] = "application/vnd.dev.sigstore.bundle.v9+json" }
            == .unsupportedFormat(field: "mediaType", value: "application/vnd.dev.sigstore.bundle.v9+json"))
        #expect(Self.parse { $0["verificationMaterial"] = [:] as JSON }
            == .malformed(field: "verificationMaterial", problem: "has no publicKey, x509CertificateChain or certificate"))
        #expect(Self.parse { $0["verificationMaterial"] = ["publicKey": ["hint": "xyz"]] }
            == .malformed(field: "verificationMaterial.publicKey.hint", problem: "not a hex SHA-256"))
        #expect(Self.parse { $0["verificationMaterial"] = ["x509CertificateChain": ["certificates": [["rawBytes": "%%%"]]]] }
            == .malformed(field: "verificationMaterial.x509CertificateChain.certificates[0].rawBytes", problem: "not base64"))
        #expect(Self.parse { $0["dsseEnvelope"] = nil } == .malformed(field: "dsseEnvelope", problem: "missing"))
    }

    @Test func envelopeFields() {
        func envelope(_ body: @escaping (inout JSON) -> Void) -> (inout JSON) -> Void {
            { bundle in
                var envelope = bundle["dsseEnvelope"] as! JSON
                body(&envelope)
                bundle["dsseEnvelope"] = envelope
            }
        }
        #expect(Self.parse(edit: envelope { $0["payloadType"] = "text/plain" })
            == .unsupportedFormat(field: "dsseEnvelope.payloadType", value: "text/plain"))
        #expect(Self.parse(edit: envelope { $0["payload"] = "not base64!" })
            == .malformed(field: "dsseEnvelope.payload", problem: "not base64"))
        #expect(Self.parse(edit: envelope { $0["signatures"] = [] as [JSON] })
            == .malformed(field: "dsseEnvelope.signatures", problem: "0 signatures; a model signature has exactly one"))
        #expect(Self.parse(edit: envelope { $0["signatures"] = [["keyid": ""]] })
            == .malformed(field: "dsseEnvelope.signatures[0].sig", problem: "missing"))
        #expect(Self.parse(edit: envelope { $0["payload"] = Data("{\"_type\": 1}".utf8).base64EncodedString() })
            == .malformed(field: "payload._type", problem: "expected a string"))
        #expect(Self.parse(edit: envelope { $0["payload"] = Data("{\"_type\": ".utf8).base64EncodedString() })
            == .truncatedBundle)
    }

    @Test func statementFields() {
        #expect(Self.parse(statement: { $0["_type"] = "https://in-toto.io/Statement/v0.1" })
            == .unsupportedFormat(field: "payload._type", value: "https://in-toto.io/Statement/v0.1"))
        #expect(Self.parse(statement: { $0["predicateType"] = "https://slsa.dev/provenance/v1" })
            == .unsupportedFormat(field: "payload.predicateType", value: "https://slsa.dev/provenance/v1"))
        #expect(Self.parse(statement: { $0["subject"] = [] as [JSON] })
            == .malformed(field: "payload.subject", problem: "0 subjects; a model statement has exactly one"))
        #expect(Self.parse(statement: Self.serialization { $0["method"] = "tensors" })
            == .unsupportedFormat(field: "payload.predicate.serialization.method", value: "tensors"))
        #expect(Self.parse(statement: Self.serialization { $0["hash_type"] = "blake3" }) == .unsupportedHash("blake3"))
        #expect(Self.parse(statement: Self.serialization { $0["allow_symlinks"] = nil })
            == .malformed(field: "payload.predicate.serialization.allow_symlinks", problem: "missing"))
        #expect(Self.parse(statement: Self.firstResource { $0["digest"] = "abc" })
            == .malformed(field: "payload.predicate.resources[0].digest", problem: "not a hex sha256 digest"))
        #expect(Self.parse(statement: Self.firstResource { $0["algorithm"] = "md5" })
            == .malformed(field: "payload.predicate.resources[0].algorithm", problem: "md5, where the serialization makes sha256"))
        #expect(Self.parse(statement: Self.firstResource { $0["name"] = "../etc/passwd" })
            == .malformed(field: "payload.predicate.resources[0].name", problem: "../etc/passwd is not a relative path inside the model"))
        #expect(Self.parse(statement: Self.serialization { $0["method"] = "shards"; $0["shard_size"] = 1.5 })
            == .malformed(field: "payload.predicate.serialization.shard_size", problem: "1.5 is not a positive whole number of bytes"))
    }

    @Test func subjectDigestMustCoverTheResources() {
        let got = Self.parse(statement: Self.firstResource { $0["digest"] = String(repeating: "0", count: 64) })
        guard case .inconsistentStatement(let expected, let computed)? = got else {
            Issue.record("expected inconsistentStatement, got \(String(describing: got))")
            return
        }
        #expect(expected != computed)
    }

    @Test func duplicateResources() {
        let got = Self.parse(statement: Self.predicate { predicate in
            let resources = predicate["resources"] as! [JSON]
            predicate["resources"] = resources + [resources[0]]
        })
        #expect(got == .malformed(field: "payload.predicate.resources", problem: "config.yaml is listed twice"))
    }
}
