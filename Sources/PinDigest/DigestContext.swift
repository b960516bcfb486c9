internal import CCrypto

/// An OpenSSL message digest algorithm, fetched once per process.
///
/// OpenSSL 3 otherwise repeats a provider lookup on every context initialisation; fetching
/// once keeps hashing many small files cheap. The fetched object is immutable and shared.
final class DigestAlgorithm: @unchecked Sendable {
    // @unchecked: an EVP_MD is read-only after EVP_MD_fetch and documented as safe to share.
    let md: OpaquePointer
    let outputSize: Int

    private init(name: String, outputSize: Int) {
        guard let md = ccrypto_fetch_digest(name) else {
            fatalError("OpenSSL's default provider has no \(name); libcrypto is misconfigured")
        }
        self.md = md
        self.outputSize = outputSize
    }

    static let sha256 = DigestAlgorithm(name: "SHA256", outputSize: 32)
    static let sha1 = DigestAlgorithm(name: "SHA1", outputSize: 20)
    static let blake2b512 = DigestAlgorithm(name: "BLAKE2B-512", outputSize: 64)
}

/// The private C box behind the digest value types: one EVP_MD_CTX, freed in deinit.
///
/// The public hashers are structs holding one of these and copying it before a mutation when
/// it is shared (copy-on-write), the way swift-crypto's hash functions are built.
final class DigestContext: @unchecked Sendable {
    // @unchecked: a context is mutated only through a uniquely referenced box (see SHA256),
    // and a shared box is only read, by EVP_MD_CTX_copy_ex, which does not modify it.
    private let context: OpaquePointer
    let algorithm: DigestAlgorithm

    init(_ algorithm: DigestAlgorithm) {
        guard let context = ccrypto_context_new(algorithm.md) else {
            fatalError("OpenSSL could not allocate a digest context (out of memory)")
        }
        self.context = context
        self.algorithm = algorithm
    }

    init(copying other: DigestContext) {
        guard let context = ccrypto_context_copy(other.context) else {
            fatalError("OpenSSL could not copy a digest context (out of memory)")
        }
        self.context = context
        self.algorithm = other.algorithm
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // EVP_DigestUpdate only fails on a misconfigured provider; continuing would produce a
        // digest of the wrong bytes, so stopping is the only safe answer.
        guard ccrypto_context_update(context, base, bytes.count) == 1 else {
            fatalError("EVP_DigestUpdate failed")
        }
    }

    /// Feeds `bytes` to the hasher value holding `box`, copying the C state first when another
    /// value shares it (the copy-on-write step of every public hasher).
    static func update(_ box: inout DigestContext, _ bytes: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&box) {
            box = DigestContext(copying: box)
        }
        box.update(bytes)
    }

    /// The digest of everything fed so far; the context can keep being updated afterwards.
    func peek() -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { buffer in
            let length = ccrypto_context_peek(context, buffer.baseAddress!)
            guard length == algorithm.outputSize else { fatalError("EVP_DigestFinal_ex failed") }
            return Array(buffer.prefix(Int(length)))
        }
    }
}

/// The libcrypto this process loaded.
public enum CryptoLibrary {
    /// For example `OpenSSL 3.0.19 27 Jan 2026`.
    public static var versionText: String { String(cString: ccrypto_version_text()) }
}
