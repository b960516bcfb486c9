import PinModel
import Testing

@testable import PinLock

@Suite("The user's config.toml: lock signers pinned outside the repository")
struct UserConfigTests {
    static let alice = "0123456789ABCDEF0123456789ABCDEF01234567"
    static let bob = "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
    static let signers = [try! Fingerprint(parsing: alice), try! Fingerprint(parsing: bob)]

    @Test func readsLockSignersSortedAndDeduplicated() throws {
        let text = "version = 1\nlock-signers = [\"\(Self.bob)\", \"0x\(Self.alice.lowercased())\", \"\(Self.bob)\"]\n"
        #expect(try UserConfigFormat.parse(text, file: "config.toml") == UserConfig(lockSigners: Self.signers))
        #expect(try UserConfigFormat.parse("", file: "config.toml") == UserConfig())
    }

    /// (text, field the error names, words it says)
    @Test(arguments: [
        ("lock-signer = []\n", "lock-signer", "did you mean `lock-signers`"),  // misspelt: suggested, never ignored
        ("lock-signers = \"\(alice)\"\n", "lock-signers", "array"),
        ("lock-signers = [\"0123456789ABCDEF\"]\n", "lock-signers", "key id"),
        ("lock-signers = [\"nope\"]\n", "lock-signers", "not an OpenPGP fingerprint"),
        ("version = 2\n", "version", "upgrade"),
        ("lock-signers = [\n", nil, "not valid TOML"),
    ] as [(String, String?, String)])
    func refusesWhatItCannotReadNamingTheField(_ text: String, _ field: String?, _ words: String) {
        #expect {
            try UserConfigFormat.parse(text, file: "config.toml")
        } throws: { error in
            guard let error = error as? ProjectFileError else { return false }
            return error.file == "config.toml" && error.field == field
                && (error.description + " " + (error.hint ?? "")).contains(words)
        }
    }

    @Test func readsTheEnvironmentsListAndNamesABadEntry() throws {
        #expect(try UserConfigFormat.signers(fromEnvironment: " \(Self.bob),\(Self.alice) \(Self.bob) ").get() == Self.signers)
        #expect(throws: SignerListError(entry: "ABCD")) { try UserConfigFormat.signers(fromEnvironment: "\(Self.alice),ABCD").get() }
    }
}
