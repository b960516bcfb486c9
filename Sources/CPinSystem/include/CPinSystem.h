// Linux calls modelpin's store needs that Swift cannot reach directly: GNU extensions hidden
// behind _GNU_SOURCE in glibc's headers, and ioctl, which is variadic. Imported only by PinStore.
#ifndef MODELPIN_CPINSYSTEM_H
#define MODELPIN_CPINSYSTEM_H

#include <stdint.h>

/// Starts writeback of [offset, offset+length) without waiting (sync_file_range WRITE).
/// Returns 0, or -1 with errno set.
int cpin_start_writeback(int fd, int64_t offset, int64_t length);

/// Makes `destination` share `source`'s blocks (FICLONE: a reflink on btrfs, XFS, bcachefs).
/// Returns 0, or -1 with errno set (EOPNOTSUPP/EXDEV/EINVAL where the filesystem cannot).
int cpin_clone_file(int destination, int source);

#endif
