import PinModel

/// The text rules for a pinned signer in modelpin.toml and modelpin.lock: a full OpenPGP v4
/// fingerprint, 40 hex digits, written uppercase without spaces in the lock. Key ids (16 or 8
/// hex digits) are refused: they are short enough to collide on purpose.
///
/// (PinVerify parses fingerprints for gpgme; this is the same rule for files, kept here so that
/// PinLock needs no OpenPGP engine to read a manifest.)
public enum SignerFingerprint {
    /// `text` as 40 uppercase hex digits (spaces and a `0x` prefix dropped), or nil.
    public static func normalized(_ text: String) -> String? {
        var hex = text.filter { $0 != " " }
        if hex.hasPrefix("0x") || hex.hasPrefix("0X") { hex.removeFirst(2) }
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ isHexDigit($0) }) else { return nil }
        return hex.uppercased()
    }

    /// Why `text` is not a fingerprint.
    public static func problem(_ text: String) -> String {
        let hex = text.filter { $0 != " " }
        if (hex.utf8.count == 16 || hex.utf8.count == 8), hex.utf8.allSatisfy({ isHexDigit($0) }) {
            return "`\(text.escapedForDisplay)` is a key id, not a fingerprint; pin the full 40-hex fingerprint"
        }
        return "`\(text.escapedForDisplay)` is not an OpenPGP fingerprint (40 hex digits)"
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
    }
}
