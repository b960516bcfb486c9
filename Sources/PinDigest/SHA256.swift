public import PinModel

/// Streaming SHA-256 over OpenSSL's EVP interface (which uses the CPU's SHA extensions).
///
/// A value type: copying a hasher mid-stream gives two independent hashers (the C state is
/// copied on the first write to a shared one).
public struct SHA256: Sendable {
    private var box: DigestContext

    public init() {
        box = DigestContext(.sha256)
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        DigestContext.update(&box, bytes)
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The digest of everything fed so far. The hasher stays usable.
    public func finalize() -> SHA256Digest {
        // peek() yields exactly the algorithm's 32 bytes or stops the process.
        SHA256Digest(bytes: box.peek())!
    }

    /// One-shot convenience.
    public static func hash(_ bytes: some Collection<UInt8>) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
