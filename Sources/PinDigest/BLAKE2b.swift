/// Streaming BLAKE2b-512 over OpenSSL's EVP interface: the `blake2b` hash type of OpenSSF model
/// signing (Python's `hashlib.blake2b()`, 64-byte digest, no key). A value type like `SHA256`.
public struct BLAKE2b: Sendable {
    private var box: DigestContext

    public init() {
        box = DigestContext(.blake2b512)
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        DigestContext.update(&box, bytes)
    }

    /// The 64-byte digest of everything fed so far. The hasher stays usable.
    public func finalize() -> [UInt8] {
        box.peek()
    }
}
