internal import CCrypto

// Ed25519 through libcrypto, for the audit log's signed checkpoints. libcrypto is already
// linked for SHA-256, implements Ed25519 (RFC 8032) itself, and reads and writes the standard
// PKCS#8 PEM an operator's own key comes in (`openssl genpkey -algorithm ed25519`): no second
// crypto library, and no hand-written curve arithmetic.

/// What can go wrong with an Ed25519 key.
public enum Ed25519Error: Error, Equatable, Sendable {
    /// The PEM text is not a private key libcrypto can read.
    case unreadablePrivateKey
    /// The key is readable but is not an Ed25519 key (RSA, EC…).
    case notEd25519
    /// A public key must be 32 bytes.
    case badPublicKeyLength(Int)
    /// libcrypto failed where it should not (out of memory, no entropy).
    case libraryFailure(String)
}

/// An Ed25519 private key: one EVP_PKEY, freed in deinit.
public final class Ed25519PrivateKey: @unchecked Sendable {
    // @unchecked: the EVP_PKEY is never mutated after creation; OpenSSL documents signing
    // with a shared key from several threads, each with its own EVP_MD_CTX, as safe.
    private let key: OpaquePointer

    private init(key: OpaquePointer) {
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// A fresh key from the system's random source.
    public static func generate() throws(Ed25519Error) -> Ed25519PrivateKey {
        guard let key = ccrypto_ed25519_generate() else { throw .libraryFailure("EVP_PKEY_keygen(ED25519)") }
        return Ed25519PrivateKey(key: key)
    }

    /// Reads an unencrypted PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    public convenience init(pem: [UInt8]) throws(Ed25519Error) {
        let key = pem.withUnsafeBytes { buffer in
            ccrypto_private_key_from_pem(buffer.baseAddress, Int32(clamping: buffer.count))
        }
        guard let key else { throw .unreadablePrivateKey }
        guard ccrypto_is_ed25519(key) == 1 else {
            EVP_PKEY_free(key)
            throw .notEd25519
        }
        self.init(key: key)
    }

    /// The key as unencrypted PKCS#8 PEM text (the caller writes it with owner-only permissions).
    public func pem() throws(Ed25519Error) -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        let ok = withExtendedLifetime(sink) {
            ccrypto_private_key_to_pem(key, { data, length, context in
                guard let data, length > 0, let context else { return }
                let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
                sink.bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
        guard ok == 1 else { throw .libraryFailure("PEM_write_bio_PKCS8PrivateKey") }
        return sink.bytes
    }

    /// The matching public key.
    public var publicKey: Ed25519PublicKey {
        var raw = [UInt8](repeating: 0, count: 32)
        guard ccrypto_ed25519_raw_public(key, &raw) == 1 else {
            fatalError("EVP_PKEY_get_raw_public_key failed on an Ed25519 key")
        }
        // 32 bytes read back from a valid key always make a public key.
        return try! Ed25519PublicKey(rawRepresentation: raw)
    }

    /// The 64-byte signature of `message`.
    public func signature(for message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 64)
        let ok = message.withUnsafeBufferPointer { bytes in
            ccrypto_ed25519_sign(key, bytes.baseAddress, bytes.count, &signature)
        }
        // Ed25519 signing has no failure mode for a valid key but allocation.
        guard ok == 1 else { fatalError("EVP_DigestSign(ED25519) failed") }
        return signature
    }
}

/// An Ed25519 public key: one EVP_PKEY, freed in deinit.
public final class Ed25519PublicKey: @unchecked Sendable, Equatable {
    // @unchecked: immutable after creation (see Ed25519PrivateKey).
    private let key: OpaquePointer
    /// The 32 bytes RFC 8032 defines.
    public let rawRepresentation: [UInt8]

    public init(rawRepresentation raw: [UInt8]) throws(Ed25519Error) {
        guard raw.count == 32 else { throw .badPublicKeyLength(raw.count) }
        guard let key = raw.withUnsafeBufferPointer({ ccrypto_ed25519_public($0.baseAddress, $0.count) }) else {
            throw .libraryFailure("EVP_PKEY_new_raw_public_key(ED25519)")
        }
        self.key = key
        self.rawRepresentation = raw
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return signature.withUnsafeBufferPointer { signature in
            message.withUnsafeBufferPointer { message in
                ccrypto_ed25519_verify(key, signature.baseAddress, message.baseAddress, message.count) == 1
            }
        }
    }

    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }
}
