// libarchive for modelpin's scanner. Imported only by PinScan (`internal import`).
//
// Why a library and not more hand-written code: bzip2, xz, LZMA-alone, lz4, zstd, gzip with
// several members, and the 7z container are what joblib, pandas and pickle-based loaders
// decompress transparently; their decoders are large and subtle, and libarchive wraps the
// reference implementations (libbz2, liblzma, liblz4, libzstd, zlib) behind one streaming read
// API that takes its input through callbacks, so the scanner feeds it from a ByteSource and never
// loads a file whole. PinScan picks the decoder explicitly (no bidding): the same one the loader
// picks from the same first bytes.
//
// The helpers below are typed so that Swift never sees libarchive's int status codes or its
// filter-code macros directly.
#ifndef MODELPIN_CARCHIVE_SHIM_H
#define MODELPIN_CARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>

/// The decoders PinScan asks for, by the magic that selects them.
typedef enum {
    pin_archive_gzip = ARCHIVE_FILTER_GZIP,
    pin_archive_bzip2 = ARCHIVE_FILTER_BZIP2,
    pin_archive_lzma = ARCHIVE_FILTER_LZMA,
    pin_archive_xz = ARCHIVE_FILTER_XZ,
    pin_archive_lz4 = ARCHIVE_FILTER_LZ4,
    pin_archive_zstd = ARCHIVE_FILTER_ZSTD,
} pin_archive_filter;

/// A reader for one compressed stream: exactly one decoder, and the "raw" format (the decoded
/// bytes are one entry; tar, zip and the rest are left to PinScan's own readers). 1 on success.
static inline int pin_archive_configure_stream(struct archive *a, pin_archive_filter filter) {
    if (archive_read_support_format_raw(a) != ARCHIVE_OK) return 0;
    return archive_read_append_filter(a, (int)filter) == ARCHIVE_OK;
}

/// A reader for a 7z archive and nothing else. 1 on success.
static inline int pin_archive_configure_7zip(struct archive *a) {
    return archive_read_support_format_7zip(a) == ARCHIVE_OK;
}

/// Installs the input callbacks and opens the reader. 1 on success.
static inline int pin_archive_open(struct archive *a, void *context,
                                   archive_read_callback *read,
                                   archive_seek_callback *seek,
                                   archive_skip_callback *skip) {
    if (archive_read_set_read_callback(a, read) != ARCHIVE_OK) return 0;
    if (archive_read_set_seek_callback(a, seek) != ARCHIVE_OK) return 0;
    if (archive_read_set_skip_callback(a, skip) != ARCHIVE_OK) return 0;
    if (archive_read_set_callback_data(a, context) != ARCHIVE_OK) return 0;
    return archive_read_open1(a) == ARCHIVE_OK;
}

/// The next entry: 1 (an entry), 0 (the end), -1 (an error; see archive_error_string).
static inline int pin_archive_next(struct archive *a, struct archive_entry **entry) {
    int status = archive_read_next_header(a, entry);
    if (status == ARCHIVE_EOF) return 0;
    if (status == ARCHIVE_OK || status == ARCHIVE_WARN) return 1;
    return -1;
}

/// 1 when the entry is a regular file (7z directories and links carry no data to scan).
static inline int pin_archive_entry_is_regular(struct archive_entry *entry) {
    return archive_entry_filetype(entry) == AE_IFREG;
}

/// Compressed bytes the reader has taken from the input so far (for the offset of an error).
static inline long long pin_archive_input_position(struct archive *a) {
    return (long long)archive_filter_bytes(a, -1);
}

#endif
