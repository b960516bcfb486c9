import FoundationEssentials

/// Standard base64 (RFC 4648 §4), as signed notes and tlog proofs use it.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The bytes of canonical base64 only: padding required, no whitespace, no stray bits in
    /// the last character (decoding then re-encoding must give the text back), so one value has
    /// exactly one spelling, as a signed text needs.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        guard let data = Data(base64Encoded: String(text)), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }
}
