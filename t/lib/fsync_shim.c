/*
 * Copyright (C) ngx_rtk_module authors
 *
 * An fsync(2) that the fsync tests watch and steer, loaded into nginx
 * with LD_PRELOAD.  RTK_FSYNC_SHIM names a directory, read when the
 * library loads (nginx clears its workers' environment):
 *   DIR/log     gets "B pid seq inode size" as a sync begins (the
 *               file's size then) and "E pid seq rc" as it ends
 *   DIR/delay   if present, milliseconds each sync takes at least
 *   DIR/fail    if present, every sync fails with EIO
 * Without RTK_FSYNC_SHIM it is the real fsync.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static char  shim_dir[PATH_MAX];
static int   shim_seq;


__attribute__((constructor))
static void
shim_init(void)
{
    const char  *dir;

    dir = getenv("RTK_FSYNC_SHIM");

    if (dir != NULL && strlen(dir) < sizeof(shim_dir)) {
        strcpy(shim_dir, dir);
    }
}


static void
shim_log(const char *line, int len)
{
    int   fd;
    char  path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/log", shim_dir);

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd != -1) {
        (void) write(fd, line, len);
        close(fd);
    }
}


static long
shim_delay(void)
{
    int   fd;
    char  path[PATH_MAX + 16], buf[32];
    long  ms;

    snprintf(path, sizeof(path), "%s/delay", shim_dir);

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        return 0;
    }

    ms = 0;
    memset(buf, 0, sizeof(buf));

    if (read(fd, buf, sizeof(buf) - 1) > 0) {
        ms = strtol(buf, NULL, 10);
    }

    close(fd);

    return ms;
}


int
fsync(int fd)
{
    int              rc, err, seq, n;
    long             ms;
    char             line[160], path[PATH_MAX + 16];
    struct stat      st;
    struct timespec  ts;

    static int     (*real)(int);

    if (real == NULL) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    }

    if (shim_dir[0] == '\0') {
        return real(fd);
    }

    seq = __sync_add_and_fetch(&shim_seq, 1);

    if (fstat(fd, &st) == -1) {
        memset(&st, 0, sizeof(st));
    }

    n = snprintf(line, sizeof(line), "B %d %d %llu %lld\n", (int) getpid(),
                 seq, (unsigned long long) st.st_ino,
                 (long long) st.st_size);
    shim_log(line, n);

    ms = shim_delay();
    if (ms > 0) {
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000;
        nanosleep(&ts, NULL);
    }

    snprintf(path, sizeof(path), "%s/fail", shim_dir);

    if (access(path, F_OK) == 0) {
        rc = -1;
        err = EIO;

    } else {
        rc = real(fd);
        err = errno;
    }

    n = snprintf(line, sizeof(line), "E %d %d %d\n", (int) getpid(), seq,
                 rc);
    shim_log(line, n);

    errno = err;

    return rc;
}
