// gpgme for modelpin. Imported only by PinVerify.
#ifndef MODELPIN_CGPGME_SHIM_H
#define MODELPIN_CGPGME_SHIM_H

// gpgme.h refuses mismatched large-file settings on 32-bit systems; 64-bit is what the
// library is built with everywhere modelpin runs, and a no-op on 64-bit hosts.
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <gpgme.h>

/// gpgme_check_version is also a function-like macro that adds a struct-layout check; Swift
/// cannot see macros, so a direct call would silently skip the check. This expands it.
static inline const char *cgpgme_check_version(const char *required) {
    return gpgme_check_version(required);
}

/// The error code part of a gpgme_error_t (which packs a source and a code).
static inline gpgme_err_code_t cgpgme_err_code(gpgme_error_t error) {
    return gpgme_err_code(error);
}

/// Thread-safe error text (gpgme_strerror is not); returns 0 on success.
static inline int cgpgme_strerror(gpgme_error_t error, char *buffer, size_t size) {
    return gpgme_strerror_r(error, buffer, size);
}

#endif
