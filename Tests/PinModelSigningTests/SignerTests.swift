import Foundation
import PinDigest
import PinModel
@testable import PinModelSigning
import Testing

/// modelpin's own model.sig: sign, then verify with this module (model_signing's side of the
/// cross-check runs in oms-wire's end-to-end tests and in Fixtures/generate.sh's venv).
@Suite("ModelSigner writes key bundles")
struct SignerTests {
    @Test(arguments: ["p256", "p384", "p521"])
    func roundTrip(_ curve: String) throws {
        let bytes = try ModelSigner.sign(modelName: "model", files: try Fixture.modelFiles(), reader: DirectoryReader(),
                                         privateKeyPEM: try Fixture.text("keys/\(curve).pem"))
        let signature = try ModelSignature.parse(bytes, file: "model.sig")
        let key = try Fixture.key(curve)
        #expect(signature.mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json")
        #expect(signature.material == .publicKey(hint: key.id))
        #expect(try signature.verify(trust: TrustAnchors(keys: [key])) == .key(id: key.id))
        let check = try signature.checkResources(try Fixture.modelFiles(), reader: DirectoryReader())
        #expect(check.verified == 3)
        #expect(check.ignored == [".gitattributes"])
    }

    @Test func theStatementMatchesModelSigningsOwn() throws {
        // Same files, same key type: the resources and subject digest model_signing wrote.
        let ours = try ModelSignature.parse(
            try ModelSigner.sign(modelName: "model", files: try Fixture.modelFiles(), reader: DirectoryReader(),
                                 privateKeyPEM: try Fixture.text("keys/p256.pem")), file: "ours.sig")
        let theirs = try Fixture.signature("key-p256.sig")
        #expect(ours.statement.resources == theirs.statement.resources)
        #expect(ours.statement.rootDigest == theirs.statement.rootDigest)
        // model_signing lists the signature file only when it lies inside the model directory.
        #expect(Set(ours.statement.serialization.ignorePaths) == Set(theirs.statement.serialization.ignorePaths + ["model.sig"]))
    }

    @Test func signingUsesKnownDigestsAndSkipsIgnoredFiles() throws {
        let reader = DirectoryReader()
        let files = try Fixture.modelFiles().map { file in
            var file = file
            file.sha256 = PinDigest.SHA256.hash(try Fixture.bytes("model/\(file.path)"))
            return file
        }
        let bytes = try ModelSigner.sign(modelName: "m", files: files + [ModelFile(path: "model.sig", size: 3)], reader: reader,
                                         privateKeyPEM: try Fixture.text("keys/p384.pem"))
        #expect(reader.reads.count == 0)
        #expect(try ModelSignature.parse(bytes, file: "m.sig").statement.resources.map(\.name) == ["config.yaml", "empty.txt", "weights/model.safetensors"])
    }

    @Test func resourcesAreInPathComponentOrder() {
        // PurePosixPath sorts by components: "a/b" before "a-b" although "/" > "-" as text.
        let sorted = ["a-b", "a/b", "a/a", "b"].sorted(by: ModelSigner.pathOrder)
        #expect(sorted == ["a/a", "a/b", "a-b", "b"])
    }

    @Test func refusesWhatIsNotAnECKey() {
        #expect(reason { _ = try ModelSigner.sign(modelName: "m", files: [], reader: DirectoryReader(), privateKeyPEM: "nonsense") }
            == .unsupportedKey("the private key"))
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        guard case .badKeyMaterial? = reason({ _ = try ModelSigner.sign(modelName: "m", files: [], reader: DirectoryReader(), privateKeyPEM: encrypted) }) else {
            Issue.record("an encrypted key must be refused as such")
            return
        }
    }
}

@Suite("DSSE encodings")
struct PAETests {
    @Test func dsseV1() {
        #expect(PAE.encode(payloadType: "t", payload: Array("ab".utf8)) == Array("DSSEv1 1 t 2 ab".utf8))
    }

    @Test func pythonBytesReprAsModelSigning02Signed() {
        // Python: repr(b"a'b\n\x00\xff\\\t\r") == b"a'b\n\x00\xff\\\t\r"; repr(b'x"y') == b'x"y'; repr(b'q\'"') == b'q\'"'
        #expect(String(decoding: PAE.pythonBytesRepr(Array("a'b\n".utf8) + [0, 0xff] + Array("\\\t\r".utf8)), as: UTF8.self)
            == #"b"a'b\n\x00\xff\\\t\r""#)
        #expect(String(decoding: PAE.pythonBytesRepr(Array("x\"y".utf8)), as: UTF8.self) == #"b'x"y'"#)
        #expect(String(decoding: PAE.pythonBytesRepr(Array("q'\"".utf8)), as: UTF8.self) == #"b'q\'"'"#)
    }
}
