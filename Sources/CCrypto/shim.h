// OpenSSL libcrypto for modelpin. Imported only by PinDigest.
//
// The EVP digest API imports into Swift as it is; what lives here are the few typed helpers
// that keep call sites short and keep OpenSSL's int-as-bool convention in one place.
#ifndef MODELPIN_CCRYPTO_SHIM_H
#define MODELPIN_CCRYPTO_SHIM_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

/// Fetches an algorithm once (OpenSSL 3 otherwise does an implicit fetch on every init).
/// Returns NULL if the default provider lacks it.
static inline EVP_MD *ccrypto_fetch_digest(const char *name) {
    return EVP_MD_fetch(NULL, name, NULL);
}

/// A new context initialised for `md`, or NULL on allocation or init failure.
static inline EVP_MD_CTX *ccrypto_context_new(const EVP_MD *md) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return NULL;
    if (EVP_DigestInit_ex2(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/// A deep copy of `ctx` (its running state included), or NULL on failure.
static inline EVP_MD_CTX *ccrypto_context_copy(const EVP_MD_CTX *ctx) {
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    if (copy == NULL) return NULL;
    if (EVP_MD_CTX_copy_ex(copy, ctx) != 1) {
        EVP_MD_CTX_free(copy);
        return NULL;
    }
    return copy;
}

/// 1 on success.
static inline int ccrypto_context_update(EVP_MD_CTX *ctx, const void *bytes, size_t count) {
    return EVP_DigestUpdate(ctx, bytes, count);
}

/// Writes the digest of everything fed to `ctx` into `out` (at least EVP_MAX_MD_SIZE bytes)
/// without disturbing `ctx`; returns its length, or 0 on failure.
static inline unsigned int ccrypto_context_peek(const EVP_MD_CTX *ctx, unsigned char *out) {
    EVP_MD_CTX *copy = ccrypto_context_copy(ctx);
    if (copy == NULL) return 0;
    unsigned int length = 0;
    int ok = EVP_DigestFinal_ex(copy, out, &length);
    EVP_MD_CTX_free(copy);
    return ok == 1 ? length : 0;
}

/// "OpenSSL 3.0.19 27 Jan 2026" or similar: the library actually loaded, not the headers.
static inline const char *ccrypto_version_text(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

#endif
