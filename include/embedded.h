/* embedded.h -- files compiled into the binary.
 *
 * The Makefile turns a directory of files (dashboard/) into a C source with
 * tools/embed.sh, which runs `xxd -i` on each: the binary then carries
 * them, and serving them needs no file system, network or build step at
 * run time. Each file's bytes are followed by a NUL that `len` leaves out. */
#ifndef ADSTATS_EMBEDDED_H
#define ADSTATS_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name;          /* base name, e.g. "app.js" */
    const unsigned char *data;
    size_t len;
};

/* The dashboard's files (dashboard/), ending with {NULL, NULL, 0}. */
extern const struct embedded_file dashboard_files[];

#endif
