// Linux system calls glibc has no wrapper for (or only under _GNU_SOURCE), as inline functions Swift can call:
// Swift cannot call the variadic `syscall(2)` itself. On other systems they fail with ENOSYS and callers fall back.
#ifndef SEED_LINUX_SHIMS_H
#define SEED_LINUX_SHIMS_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

/// Linux-only open and *at flags glibc declares only under _GNU_SOURCE (same values on every Linux architecture
/// Swift supports).
#define SEED_O_PATH 010000000
#define SEED_AT_EMPTY_PATH 0x1000

/// `resolve` flags of openat2(2) (linux/openat2.h), repeated so the header is not needed to build.
#define SEED_RESOLVE_NO_XDEV 0x01
#define SEED_RESOLVE_NO_MAGICLINKS 0x02
#define SEED_RESOLVE_NO_SYMLINKS 0x04
#define SEED_RESOLVE_BENEATH 0x08
#define SEED_RESOLVE_IN_ROOT 0x10

/// `flags` of renameat2(2).
#define SEED_RENAME_NOREPLACE 0x1
#define SEED_RENAME_EXCHANGE 0x2

/// openat2(2): `path` resolved from `dirfd` with `resolve` restrictions. -1 and ENOSYS where the kernel lacks it.
static inline int seed_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
#if defined(__linux__) && defined(SYS_openat2)
    struct { uint64_t flags, mode, resolve; } how = { flags, mode, resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#elif defined(__linux__) && defined(__x86_64__)
    struct { uint64_t flags, mode, resolve; } how = { flags, mode, resolve };
    return (int)syscall(437, dirfd, path, &how, sizeof how);
#else
    (void)dirfd; (void)path; (void)flags; (void)mode; (void)resolve;
    errno = ENOSYS;
    return -1;
#endif
}

/// renameat2(2), for `RENAME_EXCHANGE` (swap two names atomically). -1 and ENOSYS where the kernel lacks it.
static inline int seed_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
#else
    (void)olddirfd; (void)oldpath; (void)newdirfd; (void)newpath; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

/// pread(2) that never waits for the disk: preadv2(2) with RWF_NOWAIT reads only what the page cache holds, and
/// fails with EAGAIN when the first byte asked for is not there (a file system without RWF_NOWAIT: EOPNOTSUPP; a
/// kernel without preadv2: ENOSYS). Lets an event loop serve cached files inline and leave cold ones to threads.
static inline long seed_pread_nowait(int fd, void *buffer, size_t count, int64_t offset) {
#if defined(__linux__) && defined(SYS_preadv2)
    struct { void *base; size_t length; } vector = { buffer, count };
    // preadv2 takes the offset as two longs (low, high); on 64-bit Linux the high half is ignored. RWF_NOWAIT = 8.
    return syscall(SYS_preadv2, fd, &vector, 1, (long)offset, (long)((uint64_t)offset >> 32), 8);
#else
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
