import PinModel
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite("SHA-256 digest values")
struct SHA256DigestTests {
    let emptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func roundTripsItsTextForm() throws {
        let digest = try SHA256Digest(parsing: "sha256:" + emptyHex)
        #expect(digest.hex == emptyHex)
        #expect(digest.description == "sha256:" + emptyHex)
        #expect(try SHA256Digest(parsing: digest.description) == digest)
    }

    @Test func buildsFromExactly32Bytes() throws {
        let bytes = (0..<32).map { UInt8($0) }
        let digest = try #require(SHA256Digest(bytes: bytes))
        #expect(digest.hex == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        #expect(SHA256Digest(bytes: bytes.dropLast()) == nil)
        #expect(SHA256Digest(bytes: bytes + [0]) == nil)
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let text: String
        let reason: String
        let suggestion: String?
        var testDescription: String { "`\(text)`" }
    }

    static let badInputs: [BadInput] = {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        return [
            BadInput(text: hex, reason: "prefix is missing", suggestion: "sha256:" + hex),
            BadInput(text: hex.uppercased(), reason: "prefix is missing", suggestion: "sha256:" + hex),
            BadInput(text: "sha256:" + hex.uppercased(), reason: "in lowercase", suggestion: "sha256:" + hex),
            BadInput(text: "SHA256:" + hex, reason: "in lowercase", suggestion: "sha256:" + hex),
            BadInput(text: "sha512:" + hex, reason: "unsupported algorithm `sha512`", suggestion: nil),
            BadInput(text: "sha256:" + hex.dropLast(), reason: "found 63", suggestion: nil),
            BadInput(text: "sha256:" + hex + "0", reason: "found 65", suggestion: nil),
            BadInput(text: "sha256:" + hex.dropLast() + "g", reason: "`g` is not a hex digit", suggestion: nil),
            BadInput(text: "sha256:" + hex.dropLast() + "\u{10}", reason: "is not a hex digit", suggestion: nil),
            BadInput(text: "sha256: " + hex.dropLast(), reason: "is not a hex digit", suggestion: nil),
            BadInput(text: "", reason: "expected `sha256:`", suggestion: nil),
            BadInput(text: "sha256:", reason: "found 0", suggestion: nil),
        ]
    }()

    @Test(arguments: badInputs)
    func refusesMalformedText(_ input: BadInput) {
        #expect {
            try SHA256Digest(parsing: input.text)
        } throws: { error in
            guard let error = error as? DigestSyntaxError else { return false }
            return error.description.contains(input.reason) && error.suggestion == input.suggestion
        }
    }

    @Test func ordersLikeItsHexText() throws {
        let texts = ["ff", "00", "0f", "f0", "7a"].map { String(repeating: $0, count: 32) }
        let digests = try texts.map { try SHA256Digest(parsing: "sha256:" + $0) }
        #expect(digests.sorted().map(\.hex) == texts.sorted())
    }

    @Test func codesAsItsTextForm() throws {
        let digest = try SHA256Digest(parsing: "sha256:" + emptyHex)
        let encoded = try JSONEncoder().encode([digest])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"sha256:\(emptyHex)\"]")
        #expect(try JSONDecoder().decode([SHA256Digest].self, from: encoded) == [digest])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([SHA256Digest].self, from: Data("[\"\(emptyHex)\"]".utf8))
        }
    }

    @Test func recognisesBlobFileNames() {
        #expect(SHA256Digest.isHexName(emptyHex))
        #expect(!SHA256Digest.isHexName(emptyHex.uppercased()))
        #expect(!SHA256Digest.isHexName("sha256:" + emptyHex))
        #expect(!SHA256Digest.isHexName(emptyHex + ".part"))
    }
}

@Suite("git blob ids")
struct GitBlobIDTests {
    @Test func roundTripsFortyHexDigits() throws {
        let id = try GitBlobID(parsing: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(id.hex == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(GitBlobID(bytes: Array(repeating: 0xab, count: 20))?.hex == String(repeating: "ab", count: 20))
        #expect(GitBlobID(bytes: Array(repeating: 0, count: 19)) == nil)
    }

    @Test(arguments: ["", "e69de29bb2d1d6434b8b29ae775ad8c2e48c539", "e69de29bb2d1d6434b8b29ae775ad8c2e48c539z"])
    func refusesMalformedText(_ text: String) {
        #expect(throws: DigestSyntaxError.self) { try GitBlobID(parsing: text) }
    }

    @Test func suggestsLowercase() {
        #expect {
            try GitBlobID(parsing: "E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391")
        } throws: { error in
            (error as? DigestSyntaxError)?.suggestion == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        }
    }
}
