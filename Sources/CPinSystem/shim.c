#define _GNU_SOURCE
#include "CPinSystem.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

int cpin_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

int cpin_clone_file(int destination, int source) {
    return ioctl(destination, FICLONE, source);
}
