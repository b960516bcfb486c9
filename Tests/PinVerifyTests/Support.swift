import Foundation
import PinModel
import PinTestSupport
import PinVerify
import Testing

/// A signer's GnuPG home (the fixture) and modelpin's keyring, both temporary.
final class Bench {
    let fixture: GPGFixture
    let keyringDirectory: String
    let keyring: Keyring
    private let root: String

    init() throws {
        fixture = try GPGFixture()
        var template = Array("/tmp/kr.XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        keyringDirectory = root + "/keyring"
        keyring = try Keyring(directory: keyringDirectory, create: true)
    }

    deinit {
        fixture.close()
        removeTree(URL(fileURLWithPath: root))
    }

    /// Generates nothing; imports `key`'s public part into the keyring.
    @discardableResult
    func importPublic(_ key: GPGFixture.Key) throws -> [PublicKeyInfo] {
        try keyring.importKeys(fixture.exportPublicKey(key), source: "\(key.userID).asc")
    }

    func policy(_ keys: GPGFixture.Key...) throws -> SignaturePolicy {
        SignaturePolicy(pinned: Set(try keys.map { try Fingerprint(parsing: $0.fingerprint) }))
    }
}

func fingerprint(_ key: GPGFixture.Key) throws -> Fingerprint { try Fingerprint(parsing: key.fingerprint) }

/// The processes whose command line mentions `directory` (a gpg-agent or dirmngr left behind).
func daemons(for directory: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { pid -> String? in
        guard Int(pid) != nil,
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty
        else { return nil }
        let command = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        guard command.contains("gpg-agent") || command.contains("dirmngr") || command.contains("keyboxd") else { return nil }
        return command.contains(directory) ? command : nil
    }
}

let sampleData = Array("model.safetensors sha256:0123\nsecond line\n".utf8)
