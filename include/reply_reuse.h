/* reply_reuse.h -- hiredis replies without an allocation per reply.
 *
 * hiredis' reader builds every reply on the heap (a calloc'ed redisReply,
 * plus a malloc'ed string), and the async API frees it as soon as the
 * command's callback returns. An event's commands get a dozen such replies
 * (integers from HINCRBY and PFADD, IDs from XADD, ...), which were ~5 % of
 * an /impression's instructions. reply_reuse_attach gives a reader object
 * functions that build a top-level integer, nil, status, error or short
 * string reply in one preallocated object per thread instead; arrays, their
 * elements and long strings are built on the heap as before.
 *
 * Safe because no reply outlives its callback (hiredis frees it on return,
 * so nobody may keep it), and because the object is taken only when it is
 * free: a second reply alive at the same time (another connection's, on
 * the same thread) is built on the heap. The replies are ordinary
 * redisReply values: callbacks read them as before. A reader may be set up
 * on any thread, but each reply is built and freed on the thread reading
 * it (in hiredis' async API, the callbacks' thread). */
#ifndef ADSTATS_REPLY_REUSE_H
#define ADSTATS_REPLY_REUSE_H

#include <hiredis/read.h>

void reply_reuse_attach(redisReader *r);

#endif
