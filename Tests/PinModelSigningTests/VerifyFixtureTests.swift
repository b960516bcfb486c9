import Foundation
import PinDigest
import PinModel
@testable import PinModelSigning
import Testing

/// Bundles written by the real model_signing 1.1.1 (Fixtures/generate.sh) verify here.
@Suite("model.sig written by model_signing verifies")
struct VerifyFixtureTests {
    @Test(arguments: ["p256", "p384", "p521"])
    func keyBundleOnEachCurve(_ curve: String) throws {
        let signature = try Fixture.signature("key-\(curve).sig")
        let key = try Fixture.key(curve)
        #expect(signature.material == .publicKey(hint: key.id))
        #expect(try signature.verify(trust: TrustAnchors(keys: [try Fixture.key("other"), key])) == .key(id: key.id))
        let check = try signature.checkResources(try Fixture.modelFiles(), reader: DirectoryReader())
        #expect(check.verified == 3)
        #expect(check.hashed == 3)
        #expect(check.ignored == [".gitattributes"])
    }

    @Test func theKeyIdIsTheHashOfThePEMThatModelSigningWrites() throws {
        // openssl and Python's cryptography write the same PEM text; the hint hashes it.
        for curve in ["p256", "p384", "p521"] {
            #expect(try Fixture.key(curve).id == PinDigest.SHA256.hash(try Fixture.bytes("keys/\(curve).pub")).hex)
        }
    }

    @Test func certificateBundleChainsToThePinnedCA() throws {
        let signature = try Fixture.signature("certificate.sig")
        let root = try Fixture.authority("root")
        guard case .certificateChain(let chain) = signature.material else {
            Issue.record("not a certificate chain: \(signature.material)")
            return
        }
        #expect(chain.count == 2)
        let trust = TrustAnchors(certificateAuthorities: [try Fixture.authority("other-root"), root])
        #expect(try signature.verify(trust: trust) == .certificate(identity: "publisher@example.com", ca: root.id))
        _ = try signature.checkResources(try Fixture.modelFiles(), reader: DirectoryReader())
    }

    @Test func caIdIsTheCertificateFingerprint() throws {
        let pem = try Fixture.text("ca/root.pem")
        let der = try #require(Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
        #expect(try Fixture.authority("root").id == PinDigest.SHA256.hash(Array(der)).hex)
    }

    @Test func shardsWithBLAKE2b() throws {
        let signature = try Fixture.signature("shards-blake2b.sig")
        #expect(signature.statement.serialization.method == .shards(shardSize: 1000))
        #expect(signature.statement.serialization.hashType == "blake2b")
        #expect(try signature.verify(trust: TrustAnchors(keys: [try Fixture.key("p256")])) == .key(id: try Fixture.key("p256").id))
        // config.yaml is one shard, the 3000-byte weights three; the empty file none.
        let check = try signature.checkResources(try Fixture.modelFiles(), reader: DirectoryReader())
        #expect(check.hashed == 4)
        #expect(check.verified == 4)
    }

    @Test func aShardOfAnotherLengthIsTampering() throws {
        let signature = try Fixture.signature("shards-blake2b.sig")
        var files = try Fixture.modelFiles()
        let index = try #require(files.firstIndex { $0.path == "weights/model.safetensors" })
        files[index].size = 2999
        let reader = DirectoryReader(replaced: ["weights/model.safetensors": Array(repeating: UInt8(ascii: "w"), count: 2999)])
        #expect(reason { _ = try signature.checkResources(files, reader: reader) }
            == .tamperedFile(resource: "weights/model.safetensors", signed: "3000 bytes", actual: "2999 bytes"))
    }

    @Test func legacyDigestsStatement() throws {
        let signature = try Fixture.signature("legacy-v0.1.sig")
        #expect(signature.statement.predicateType == "https://model_signing/Digests/v0.1")
        #expect(signature.statement.modelName == nil)
        #expect(try signature.verify(trust: TrustAnchors(keys: [try Fixture.key("p256")])) == .key(id: try Fixture.key("p256").id))
        _ = try signature.checkResources(try Fixture.modelFiles(), reader: DirectoryReader())
        try signature.checkModel(named: "anything")
    }

    @Test func model_signing02sEncodingIsAcceptedAsItsVerifierAcceptsIt() throws {
        let key = try Fixture.key("p384")
        #expect(try Fixture.signature("compat-key-p384.sig").verify(trust: TrustAnchors(keys: [key])) == .key(id: key.id))
        let root = try Fixture.authority("root")
        #expect(try Fixture.signature("compat-certificate.sig").verify(trust: TrustAnchors(certificateAuthorities: [root]))
            == .certificate(identity: "publisher@example.com", ca: root.id))
    }

    @Test func knownDigestsAreNotReadAgain() throws {
        let signature = try Fixture.signature("key-p256.sig")
        let reader = DirectoryReader()
        let files = try Fixture.modelFiles().map { file in
            var file = file
            let bytes = try Fixture.bytes("model/\(file.path)")
            file.sha256 = PinDigest.SHA256.hash(bytes)
            return file
        }
        let check = try signature.checkResources(files, reader: reader)
        #expect(check.hashed == 0)
        #expect(reader.reads.count == 0)
    }
}
