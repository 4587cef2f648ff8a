/* resp.h -- RESP, the Redis protocol, written by hand: one command's
 * bytes from argv-style arguments.
 *
 * hiredis' redisAsyncCommandArgv formats each command into a fresh sds
 * string, growing it with a printf-like call per argument; on the event
 * path that was a third of adstats' instructions. These functions compute
 * the size exactly, then write the bytes in one pass, into memory the
 * caller owns (store.c hands them to redisAsyncFormattedCommand):
 *
 *   *<argc>\r\n  then for each argument  $<len>\r\n<bytes>\r\n
 *
 * Pure: no allocation, no I/O, any thread. */
#ifndef ADSTATS_RESP_H
#define ADSTATS_RESP_H

#include <stddef.h>

/* The exact number of bytes resp_command_write writes for these
 * arguments (argc >= 0; argvlen[i] bytes at argv[i], any bytes). */
size_t resp_command_size(int argc, const char *const *argv, const size_t *argvlen);

/* Writes the command into out, which has room for resp_command_size
 * bytes; returns the number of bytes written (that size). */
size_t resp_command_write(char *out, int argc, const char *const *argv, const size_t *argvlen);

#endif
