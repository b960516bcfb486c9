/// RFC 9562 §5.5 name-based UUIDs (version 5: SHA-1 of a namespace UUID and a name, truncated to
/// 128 bits with the version and variant bits set). SHA-1 is used here only because version 5
/// is defined with it and CycloneDX's `serialNumber` pattern admits versions 1 to 5 only: the
/// UUID names a document, it protects nothing.
public enum NameBasedUUID {
    /// The UUID of `name` in `namespace` (16 bytes), as `xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx`.
    public static func version5(namespace: [UInt8], name: some Collection<UInt8>) -> String {
        precondition(namespace.count == 16, "a namespace is a UUID's 16 bytes")
        let box = DigestContext(.sha1)
        namespace.withUnsafeBytes { box.update($0) }
        Array(name).withUnsafeBytes { box.update($0) }
        var bytes = Array(box.peek().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}
