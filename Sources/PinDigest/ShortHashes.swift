internal import CCrypto

/// SHA-256 of many short messages, one after another, on one reused OpenSSL context: a Merkle
/// tree hashes millions of 65-byte nodes, where `SHA256`'s context per value (allocate, init,
/// copy to peek, free) would cost more than the hashing. Not Sendable: one per thread.
public final class ShortHashes {
    private let context: OpaquePointer
    private let md = DigestAlgorithm.sha256.md

    public init() {
        guard let context = ccrypto_context_new(md) else {
            fatalError("OpenSSL could not allocate a digest context (out of memory)")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// SHA-256(prefix ‖ first ‖ second), written to `output` (32 bytes).
    public func hash(
        prefix: UInt8, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(output.count >= 32)
        guard ccrypto_context_restart(context, md) == 1 else { fatalError("EVP_DigestInit_ex2 failed") }
        var prefix = prefix
        _ = ccrypto_context_update(context, &prefix, 1)
        if let base = first.baseAddress, first.count > 0 { _ = ccrypto_context_update(context, base, first.count) }
        if let base = second.baseAddress, second.count > 0 { _ = ccrypto_context_update(context, base, second.count) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { buffer in
            guard ccrypto_context_final(context, buffer.baseAddress!) == 32 else { fatalError("EVP_DigestFinal_ex failed") }
            output.copyMemory(from: UnsafeRawBufferPointer(start: buffer.baseAddress, count: 32))
        }
    }

    /// SHA-256 of `bytes`, as 32 bytes.
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            guard ccrypto_context_restart(context, md) == 1 else { fatalError("EVP_DigestInit_ex2 failed") }
            if let base = input.baseAddress, input.count > 0 { _ = ccrypto_context_update(context, base, input.count) }
        }
        output.withUnsafeMutableBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { full in
                guard ccrypto_context_final(context, full.baseAddress!) == 32 else { fatalError("EVP_DigestFinal_ex failed") }
                buffer.baseAddress!.update(from: full.baseAddress!, count: 32)
            }
        }
        return output
    }
}
