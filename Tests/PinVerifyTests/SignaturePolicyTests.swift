import Foundation
import PinModel
import PinVerify
import Testing

@Suite("signature policy")
struct SignaturePolicyTests {
    static let alice = try! Fingerprint(parsing: String(repeating: "A", count: 40))
    static let bob = try! Fingerprint(parsing: String(repeating: "B", count: 40))
    static let subkey = try! Fingerprint(parsing: String(repeating: "C", count: 40))

    func check(_ outcome: SignatureCheck.Outcome, _ key: Fingerprint, primary: Fingerprint? = nil, keyID: Bool = false)
        -> SignatureCheck
    {
        SignatureCheck(
            outcome: outcome, reportedKey: keyID ? key.keyID : key.hex, primary: primary ?? key, userID: "U <u@x>",
            created: 1_700_000_000)
    }

    @Test func noSignatures() {
        let verdict = SignaturePolicy(pinned: [Self.alice]).decide([], document: "acme/x: SHA256SUMS.asc")
        guard case .refused(let refusal) = verdict else { Issue.record("accepted"); return }
        #expect(refusal.reason == .noSignature)
        #expect(refusal.description == "`acme/x: SHA256SUMS.asc`: no signature")
    }

    @Test func aPinnedFailureIsPreferredOverAnUnpinnedGoodSignature() {
        let policy = SignaturePolicy(pinned: [Self.alice])
        let checks = [check(.good, Self.bob), check(.revokedKey, Self.alice)]
        guard case .refused(let refusal) = policy.decide(checks, document: "d") else { Issue.record("accepted"); return }
        #expect(refusal.reason == .revokedKey)
        #expect(refusal.key == Self.alice.hex)
        #expect(refusal.pinned == [Self.alice])
    }

    @Test func aBadSignatureNamingOnlyAPinnedKeyIDCountsAsPinned() {
        let policy = SignaturePolicy(pinned: [Self.alice])
        let unknownBad = SignatureCheck(outcome: .badSignature, reportedKey: Self.alice.keyID, primary: nil, userID: nil, created: nil)
        let checks = [check(.good, Self.bob), unknownBad]
        guard case .refused(let refusal) = policy.decide(checks, document: "d") else { Issue.record("accepted"); return }
        #expect(refusal.reason == .badSignature)
        #expect(refusal.key == Self.alice.keyID)
    }

    @Test func unpinnedGoodIsReportedAsNotPinnedOverUnpinnedUnknownKey() {
        let policy = SignaturePolicy(pinned: [Self.alice])
        let unknown = SignatureCheck(outcome: .unknownKey, reportedKey: Self.subkey.hex, primary: nil, userID: nil, created: nil)
        guard case .refused(let refusal) = policy.decide([check(.good, Self.bob), unknown], document: "d") else {
            Issue.record("accepted")
            return
        }
        // Both unpinned: the unknown key is more actionable (import it), the ranking says so.
        #expect(refusal.reason == .unknownKey)
        guard case .refused(let alone) = policy.decide([check(.good, Self.bob)], document: "d") else { Issue.record("accepted"); return }
        #expect(alone.reason == .notPinned)
    }

    @Test func subkeyOrPrimaryPinning() {
        let signature = check(.good, Self.subkey, primary: Self.alice)
        #expect(SignaturePolicy(pinned: [Self.alice]).decide([signature], document: "d") == .accepted(signer: Self.alice, userID: "U <u@x>"))
        #expect(SignaturePolicy(pinned: [Self.subkey]).decide([signature], document: "d") == .accepted(signer: Self.subkey, userID: "U <u@x>"))
        #expect(SignaturePolicy(pinned: []).decide([signature], document: "d") != .accepted(signer: Self.alice, userID: "U <u@x>"))
    }

    @Test func onlyGoodSignaturesAreAccepted() {
        let policy = SignaturePolicy(pinned: [Self.alice])
        for outcome in [SignatureCheck.Outcome.badSignature, .unknownKey, .expiredKey, .expiredSignature, .revokedKey, .wrongKeyUsage, .error] {
            guard case .refused(let refusal) = policy.decide([check(outcome, Self.alice)], document: "d") else {
                Issue.record("\(outcome) accepted")
                continue
            }
            #expect(refusal.reason.rawValue == (outcome == .error ? "malformed" : outcome.rawValue))
            #expect(refusal.kind == .refused)
        }
    }

    @Test func unknownKeyHintDependsOnWhetherTheKeyIsPinned() {
        let unknown = SignatureCheck(outcome: .unknownKey, reportedKey: Self.alice.hex, primary: nil, userID: nil, created: nil)
        guard case .refused(let pinned) = SignaturePolicy(pinned: [Self.alice]).decide([unknown], document: "d"),
              case .refused(let unpinned) = SignaturePolicy(pinned: [Self.bob]).decide([unknown], document: "d")
        else { Issue.record("accepted"); return }
        #expect(pinned.hint?.contains("pinned but not in modelpin's keyring") == true)
        #expect(unpinned.hint?.contains("then pin its fingerprint") == true)
        #expect(pinned.description == "`d`: signed by a key that is not in modelpin's keyring: \(Self.alice.hex)")
    }

    @Test func refusalEncodesForJSON() throws {
        let refusal = SignatureRefusal(document: "acme/x: SHA256SUMS.asc", reason: .notPinned, key: Self.bob.hex, userID: "Bob <b@x>", pinned: [Self.alice])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try #require(try JSONSerialization.jsonObject(with: encoder.encode(refusal)) as? [String: Any])
        #expect(json["reason"] as? String == "signer-not-pinned")
        #expect(json["key"] as? String == Self.bob.hex)
        #expect(json["pinned"] as? [String] == [Self.alice.hex])
        #expect(json["message"] as? String == refusal.description)
        #expect(refusal.description == "`acme/x: SHA256SUMS.asc`: signed by a key that is not pinned: \(Self.bob.hex) (Bob <b@x>)")
    }
}
