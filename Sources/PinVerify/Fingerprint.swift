import PinModel

// `Fingerprint` (the value and its one parser) lives in PinModel, so that PinLock reads the
// fingerprints in modelpin.toml and modelpin.lock by the same rules without an OpenPGP engine.

extension Fingerprint {
    /// A fingerprint gpg reported (already 40 uppercase hex), or nil for anything else
    /// (a key id, a v5 fingerprint).
    init?(gpg text: String) {
        guard let parsed = try? Fingerprint(parsing: text), parsed.hex == text else { return nil }
        self = parsed
    }
}
