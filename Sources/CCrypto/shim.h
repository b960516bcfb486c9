// OpenSSL libcrypto for modelpin. Imported only by PinDigest: SHA-256/SHA-1 and Ed25519.
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

/// Restarts `ctx` for a new message of `md`, keeping its allocation; 1 on success.
static inline int ccrypto_context_restart(EVP_MD_CTX *ctx, const EVP_MD *md) {
    return EVP_DigestInit_ex2(ctx, md, NULL);
}

/// Finishes `ctx`'s message into `out` (EVP_MAX_MD_SIZE bytes); its length, or 0 on failure.
static inline unsigned int ccrypto_context_final(EVP_MD_CTX *ctx, unsigned char *out) {
    unsigned int length = 0;
    return EVP_DigestFinal_ex(ctx, out, &length) == 1 ? length : 0;
}

/// "OpenSSL 3.0.19 27 Jan 2026" or similar: the library actually loaded, not the headers.
static inline const char *ccrypto_version_text(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

#include <openssl/bio.h>
#include <openssl/pem.h>

// MARK: Ed25519 (the audit log's checkpoint signatures)

/// A new Ed25519 key pair from the system's CSPRNG, or NULL.
static inline EVP_PKEY *ccrypto_ed25519_generate(void) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (ctx == NULL) return NULL;
    if (EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/// The public key from its 32 raw bytes, or NULL.
static inline EVP_PKEY *ccrypto_ed25519_public(const unsigned char *bytes, size_t count) {
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, bytes, count);
}

/// 1 when `key` is an Ed25519 key.
static inline int ccrypto_is_ed25519(const EVP_PKEY *key) {
    return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
}

/// Writes the 32 raw public key bytes into `out`; 1 on success.
static inline int ccrypto_ed25519_raw_public(const EVP_PKEY *key, unsigned char out[32]) {
    size_t length = 32;
    return EVP_PKEY_get_raw_public_key(key, out, &length) == 1 && length == 32;
}

/// A private key read from PEM text (PKCS#8 "PRIVATE KEY"), or NULL. Never asks for a passphrase.
static inline EVP_PKEY *ccrypto_private_key_from_pem(const void *bytes, int count) {
    BIO *bio = BIO_new_mem_buf(bytes, count);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    return key;
}

/// Calls `sink` with the key's unencrypted PKCS#8 PEM text; 1 on success.
static inline int ccrypto_private_key_to_pem(EVP_PKEY *key, void (*sink)(const char *, long, void *), void *context) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return 0;
    int ok = PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    if (ok == 1) {
        char *data = NULL;
        long length = BIO_get_mem_data(bio, &data);
        sink(data, length, context);
    }
    BIO_free(bio);
    return ok == 1;
}

/// Ed25519 signature (64 bytes into `out`) of `count` bytes; 1 on success.
static inline int ccrypto_ed25519_sign(EVP_PKEY *key, const unsigned char *bytes, size_t count, unsigned char out[64]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return 0;
    size_t length = 64;
    int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1
        && EVP_DigestSign(ctx, out, &length, bytes, count) == 1 && length == 64;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/// 1 when `signature` (64 bytes) is `key`'s Ed25519 signature of the bytes.
static inline int ccrypto_ed25519_verify(EVP_PKEY *key, const unsigned char *signature, const unsigned char *bytes, size_t count) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return 0;
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1
        && EVP_DigestVerify(ctx, signature, 64, bytes, count) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

#endif
