import Foundation
import PinDigest
import PinModel
@testable import PinModelSigning
import Testing

/// Each way a signature or a model can be wrong is refused with its own reason.
@Suite("model.sig refusals, each with its reason")
struct RefusalTests {
    let signature: ModelSignature
    let trust: TrustAnchors

    init() throws {
        signature = try Fixture.signature("key-p256.sig")
        trust = TrustAnchors(keys: [try Fixture.key("p256")])
    }

    @Test func tamperedFile() throws {
        let reader = DirectoryReader(replaced: ["config.yaml": Array("config: {layers: 3}\n".utf8)])
        let got = reason { _ = try signature.checkResources(try! Fixture.modelFiles(), reader: reader) }
        guard case .tamperedFile(let resource, let signed, let actual) = got else {
            Issue.record("expected tamperedFile, got \(String(describing: got))")
            return
        }
        #expect(resource == "config.yaml")
        #expect(signed.hasPrefix("sha256:") && actual.hasPrefix("sha256:") && signed != actual)
    }

    @Test func aKnownDigestThatDiffersIsTampering() throws {
        var files = try Fixture.modelFiles()
        files[files.firstIndex { $0.path == "empty.txt" }!].sha256 = PinDigest.SHA256.hash(Array("x".utf8))
        guard case .tamperedFile("empty.txt", _, _)? = reason({ _ = try signature.checkResources(files, reader: DirectoryReader()) }) else {
            Issue.record("expected tamperedFile for empty.txt")
            return
        }
    }

    @Test func extraFile() throws {
        let files = try Fixture.modelFiles() + [ModelFile(path: "weights/extra.bin", size: 1)]
        #expect(reason { _ = try signature.checkResources(files, reader: DirectoryReader()) } == .extraFile(path: "weights/extra.bin"))
    }

    @Test func missingFile() throws {
        let files = try Fixture.modelFiles().filter { $0.path != "config.yaml" }
        #expect(reason { _ = try signature.checkResources(files, reader: DirectoryReader()) } == .missingFile(resource: "config.yaml"))
    }

    @Test func ignoredPathsAndTheSignatureFileAreLeftOut() throws {
        let files = try Fixture.modelFiles() + [ModelFile(path: "model.sig", size: 10), ModelFile(path: ".git/HEAD", size: 5)]
        let check = try signature.checkResources(files, reader: DirectoryReader())
        #expect(check.ignored == [".git/HEAD", ".gitattributes", "model.sig"])
        // A name that merely starts like an ignored one is not covered by it.
        let lookalike = try Fixture.modelFiles() + [ModelFile(path: ".gitignored", size: 1)]
        #expect(reason { _ = try signature.checkResources(lookalike, reader: DirectoryReader()) } == .extraFile(path: ".gitignored"))
    }

    @Test func wrongKey() throws {
        let other = try Fixture.key("other")
        let hint = try Fixture.key("p256").id
        #expect(reason { _ = try signature.verify(trust: TrustAnchors(keys: [other])) } == .unknownKey(hint: hint))
        #expect(reason { _ = try signature.verify(trust: TrustAnchors()) } == .unknownKey(hint: hint))
    }

    @Test func aForgedSignatureUnderThePinnedKeysHint() throws {
        // The P-384 bundle with its hint swapped for the pinned P-256 key's: found, and refused.
        var json = try JSONSerialization.jsonObject(with: Data(try Fixture.bytes("signatures/key-p384.sig"))) as! [String: Any]
        var material = json["verificationMaterial"] as! [String: Any]
        material["publicKey"] = ["hint": try Fixture.key("p256").id]
        json["verificationMaterial"] = material
        let forged = try ModelSignature.parse(Array(try JSONSerialization.data(withJSONObject: json)), file: "forged.sig")
        #expect(reason { _ = try forged.verify(trust: trust) } == .badSignature(signer: "the key \(try! Fixture.key("p256").id)"))
    }

    @Test func otherCA() throws {
        let certificate = try Fixture.signature("certificate.sig")
        let got = reason { _ = try certificate.verify(trust: TrustAnchors(certificateAuthorities: [try! Fixture.authority("other-root")])) }
        guard case .untrustedCertificate(let subject, _)? = got else {
            Issue.record("expected untrustedCertificate, got \(String(describing: got))")
            return
        }
        #expect(subject.contains("Model Publisher"))
        // Pinning the intermediate alone is enough: it is a CA the user chose to trust.
        let intermediate = try Fixture.authority("intermediate")
        #expect(try certificate.verify(trust: TrustAnchors(certificateAuthorities: [intermediate]))
            == .certificate(identity: "publisher@example.com", ca: intermediate.id))
    }

    @Test func aPinnedKeyDoesNotVouchForACertificateBundle() throws {
        let certificate = try Fixture.signature("certificate.sig")
        guard case .untrustedCertificate? = reason({ _ = try certificate.verify(trust: trust) }) else {
            Issue.record("expected untrustedCertificate")
            return
        }
    }

    @Test func statementForAnotherModel() throws {
        #expect(reason { try signature.checkModel(named: "llama") } == .otherModel(signed: "model", expected: "llama"))
        try signature.checkModel(named: "/somewhere/model")
    }

    @Test func keylessIsRefusedOffline() throws {
        let keyless = try Fixture.signature("keyless-shape.sig")
        guard case .keyless(_, let entries) = keyless.material else {
            Issue.record("not keyless: \(keyless.material)")
            return
        }
        #expect(entries.count == 1)
        #expect(reason { _ = try keyless.verify(trust: trust) } == .keylessUnsupported)
    }

    @Test(arguments: [1, 10, 100, 500, 900])
    func truncatedBundle(_ length: Int) throws {
        let bytes = try Fixture.bytes("signatures/key-p256.sig")
        #expect(reason { _ = try ModelSignature.parse(Array(bytes.prefix(length)), file: "cut.sig") } == .truncatedBundle)
    }

    @Test func emptyAndOversizedBundles() {
        #expect(reason { _ = try ModelSignature.parse([], file: "empty.sig") } == .truncatedBundle)
        let big = [UInt8](repeating: UInt8(ascii: " "), count: ModelSignature.maximumBundleSize + 1)
        #expect(reason { _ = try ModelSignature.parse(big, file: "big.sig") } == .bundleTooLarge(size: big.count, limit: ModelSignature.maximumBundleSize))
    }
}
