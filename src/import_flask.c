/* import_flask.c -- `adstats import-flask`; see import_flask.h.
 *
 * The keyspace is read in SCAN batches, and each batch costs three
 * pipelined round trips: HLEN and HMGET of every key that is not adstats'
 * own (is it a Flask counter?), HMGET of the import record of every name
 * and dimension (what was added before?), and one script per name and
 * dimension that has something new. The script (apply_script) is the only
 * writer: it adds the difference only if the record still holds what was
 * read, checks the types of the keys it writes before writing any, and
 * updates the record in the same step, so a run that fails or races
 * another leaves nothing half-counted. */
#include "import_flask.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "flask_layout.h"
#include "json.h"
#include "keys.h"
#include "redis_sync.h"

#define SCAN_COUNT "500"
#define PROG "adstats import-flask"

struct options {
    enum flask_as as;
    bool dry_run;
    bool verbose;
};

/* Why a key is not imported at all. */
enum skip { SKIP_ADSTATS, SKIP_NOT_HASH, SKIP_OTHER_FIELDS, SKIP_NOT_A_COUNT, SKIP_GONE,
            SKIP__COUNT };

/* What became of one name in one dimension. */
enum outcome { OUT_IMPORTED, OUT_SAME, OUT_INVALID, OUT_LOWER, OUT_RACED, OUT_FAILED,
               OUT__COUNT };

struct report {
    long long scanned, counters;
    long long skipped[SKIP__COUNT];
    long long resolved[4]; /* by dimension mask: 1 user, 2 SDK, 3 both */
    long long outcome[DIM__COUNT][OUT__COUNT];
    long long added[DIM__COUNT][METRIC_FLASK__COUNT];
};

struct run {
    redisContext *redis;
    struct options opt;
    struct report rep;
};

/* A Flask counter of the current batch; `name` points into the SCAN reply. */
struct source {
    const char *name;
    size_t len;
    struct flask_counts counts;
};

/* One name in one dimension. */
struct target {
    const struct source *src;
    enum dimension dim;
    bool recorded;               /* an import record exists */
    struct flask_counts seen;    /* what it holds */
    struct flask_counts delta;
};

/* KEYS: record, total, top:imp, top:req. ARGV: name, the record's imp and
 * req as read ("" if none), the new imp and req, what to add to each. */
static const char apply_script[] =
    "local m = redis.call('HMGET', KEYS[1], '" FIELD_IMPRESSIONS "', '" FIELD_AD_REQUESTS "')\n"
    "if (m[1] or '') ~= ARGV[2] or (m[2] or '') ~= ARGV[3] then return 0 end\n"
    "local kinds = {'hash', 'zset', 'zset'}\n"
    "for i = 2, 4 do\n"
    "  local t = redis.call('TYPE', KEYS[i]).ok\n"
    "  if t ~= 'none' and t ~= kinds[i - 1] then\n"
    "    return redis.error_reply(KEYS[i] .. ' holds a ' .. t .. ', not a ' .. kinds[i - 1])\n"
    "  end\n"
    "end\n"
    "local fields = {'" FIELD_IMPRESSIONS "', '" FIELD_AD_REQUESTS "'}\n"
    "for _, f in ipairs(fields) do\n"
    "  local v = redis.call('HGET', KEYS[2], f)\n"
    "  if v and not string.match(v, '^%-?%d+$') then\n"
    "    return redis.error_reply(KEYS[2] .. ' field ' .. f .. ' is not an integer')\n"
    "  end\n"
    "end\n"
    "for i, f in ipairs(fields) do\n"
    "  local d = ARGV[5 + i]\n"
    "  if d ~= '0' then\n"
    "    redis.call('HINCRBY', KEYS[2], f, d)\n"
    "    redis.call('ZINCRBY', KEYS[2 + i], d, ARGV[1])\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], '" FIELD_IMPRESSIONS "', ARGV[4], '" FIELD_AD_REQUESTS
    "', ARGV[5])\n"
    "return 1\n";

static const char *const dim_label[DIM__COUNT] = {[DIM_USER] = "users",
                                                   [DIM_SDK] = "SDK versions"};

/* ---- options ------------------------------------------------------------ */

static void print_help(void) {
    printf("Usage: adstats import-flask [OPTION]...\n"
           "Adds the counters of the Flask service that adstats replaces to adstats'\n"
           "all-time counters and top lists, in the same Redis, so that /statistics and\n"
           "/statistics/top include them. The Flask service kept one hash per user or\n"
           "SDK version, named by it, with the fields ad_requests_count and\n"
           "impressions_requests_count. Those keys are only read, never changed.\n"
           "What was added is recorded in as:import:flask:<u|s>:<name>, and a run adds\n"
           "only what the Flask service counted since the last one: running it twice\n"
           "adds nothing. Per-day counters and unique sessions cannot be rebuilt (the\n"
           "Flask service kept neither).\n\n"
           "  --as MODE          which dimension a name goes to (default: auto):\n"
           "                       auto  a name adstats accepts as an sdk_version (digits\n"
           "                             separated by dots, e.g. 4.12.3) is an SDK\n"
           "                             version, any other a user\n"
           "                       user  every name is a user\n"
           "                       sdk   every name is an SDK version\n"
           "                       both  every name is both a user and an SDK version\n"
           "  --dry-run          report what would be imported, write nothing\n"
           "  --verbose          list every name and what became of it\n"
           "  --redis-url URL    REDIS_URL, redis://[[user]:password@]host[:port][/db]\n"
           "  --redis-timeout-ms N  REDIS_TIMEOUT_MS, bound on every round trip\n"
           "  --help             show this help and exit\n\n"
           "Redis settings come from flags, the environment and a .env file exactly as\n"
           "for the server (see adstats --help); its other options are accepted and\n"
           "ignored. It needs the one Redis itself: not a sharding proxy (twemproxy),\n"
           "nor a Redis Cluster (--redis-cluster is refused).\n"
           "Exit status: 0 done, 1 a Redis error, 2 a usage error.\n");
}

/* Takes this command's own options out of argv; the rest, with argv[0],
 * go to config_load in `rest`. Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, struct options *opt, char **rest, int *n_rest) {
    *opt = (struct options){FLASK_AS_AUTO, false, false};
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help();
            return 0;
        }
        if (strcmp(arg, "--dry-run") == 0) opt->dry_run = true;
        else if (strcmp(arg, "--verbose") == 0) opt->verbose = true;
        else if (strcmp(arg, "--as") == 0 || strncmp(arg, "--as=", 5) == 0) {
            const char *mode = arg[4] == '=' ? arg + 5 : (i + 1 < argc ? argv[++i] : "");
            if (!flask_as_parse(mode, &opt->as)) {
                fprintf(stderr, PROG ": --as must be auto, user, sdk or both, got \"%s\"\n",
                        mode);
                return 2;
            }
        } else {
            rest[(*n_rest)++] = argv[i];
        }
    }
    return -1;
}

/* ---- Redis ------------------------------------------------------------- */

static bool redis_failed(const struct run *r, const char *what) {
    const redisContext *c = r->redis;
    fprintf(stderr, PROG ": Redis error while %s: %s\n", what,
            c->err ? c->errstr : "unexpected reply");
    return false;
}

/* Reads the next pipelined reply; NULL (after a message) if the connection
 * failed. */
static redisReply *next_reply(struct run *r, const char *what) {
    void *reply = NULL;
    if (redisGetReply(r->redis, &reply) != REDIS_OK || reply == NULL) {
        redis_failed(r, what);
        return NULL;
    }
    return reply;
}

/* A reply that must not be an error. */
static redisReply *next_ok_reply(struct run *r, const char *what) {
    redisReply *reply = next_reply(r, what);
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) return reply;
    fprintf(stderr, PROG ": Redis error while %s: %s\n", what, reply->str);
    freeReplyObject(reply);
    return NULL;
}

static bool connect_redis(struct run *r, const struct config *cfg) {
    char why[512];
    r->redis = redis_sync_connect(cfg->redis.host, cfg->redis.port, &cfg->redis,
                                  cfg->redis_timeout_ms, why, sizeof(why));
    if (r->redis == NULL) fprintf(stderr, PROG ": %s\n", why);
    return r->redis != NULL;
}

/* ---- reporting a name --------------------------------------------------- */

static void print_name(const char *prefix, const char *name, size_t len, const char *what) {
    char storage[160];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    json_append_string(&b, name, len);
    if (!b.failed) printf("%s %.*s: %s\n", prefix, (int)b.len, b.data, what);
    buf_free(&b);
}

static void note_skip(struct run *r, enum skip why, const char *name, size_t len) {
    static const char *const reasons[SKIP__COUNT] = {
        [SKIP_ADSTATS] = "adstats key", [SKIP_NOT_HASH] = "not a hash",
        [SKIP_OTHER_FIELDS] = "a hash with other fields",
        [SKIP_NOT_A_COUNT] = "a value that is not a count",
        [SKIP_GONE] = "gone during the scan"};
    r->rep.skipped[why]++;
    if (r->opt.verbose && why != SKIP_ADSTATS) print_name("skip", name, len, reasons[why]);
}

static void note_outcome(struct run *r, const struct target *t, enum outcome o) {
    static const char *const what[OUT__COUNT] = {
        [OUT_SAME] = "already imported", [OUT_INVALID] = "not a valid name for it",
        [OUT_LOWER] = "the Flask count is below what was imported",
        [OUT_RACED] = "changed by another import meanwhile, run again",
        [OUT_FAILED] = "failed"};
    r->rep.outcome[t->dim][o]++;
    if (o == OUT_IMPORTED) {
        for (int m = 0; m < METRIC_FLASK__COUNT; m++) r->rep.added[t->dim][m] += t->delta.n[m];
    }
    if (!r->opt.verbose) return;
    const char *prefix = t->dim == DIM_USER ? "user" : "sdk ";
    char added[96];
    snprintf(added, sizeof(added), "+%lld impressions, +%lld ad requests",
             t->delta.n[METRIC_IMPRESSIONS], t->delta.n[METRIC_AD_REQUESTS]);
    print_name(prefix, t->src->name, t->src->len, o == OUT_IMPORTED ? added : what[o]);
}

/* ---- step 1: which keys are Flask counters ------------------------------ */

static bool is_adstats_key(const redisReply *key) {
    return key->len >= 3 && memcmp(key->str, "as:", 3) == 0;
}

static bool send_probe(struct run *r, const redisReply *key) {
    const char *hlen[] = {"HLEN", key->str};
    const char *hmget[] = {"HMGET", key->str, FLASK_FIELD_IMPRESSIONS, FLASK_FIELD_AD_REQUESTS};
    size_t hlen_len[] = {4, key->len};
    size_t hmget_len[] = {5, key->len, strlen(hmget[2]), strlen(hmget[3])};
    return redisAppendCommandArgv(r->redis, 2, hlen, hlen_len) == REDIS_OK
        && redisAppendCommandArgv(r->redis, 4, hmget, hmget_len) == REDIS_OK;
}

/* Reads the HLEN and HMGET replies of one key. Returns false on a Redis
 * error; otherwise sets *is_counter and fills `src`. */
static bool read_probe(struct run *r, const redisReply *key, struct source *src,
                       bool *is_counter) {
    redisReply *hlen = next_reply(r, "reading a key");
    redisReply *hmget = hlen ? next_reply(r, "reading a key") : NULL;
    bool ok = hmget != NULL;
    *is_counter = false;
    if (!ok) goto done;
    if (hlen->type == REDIS_REPLY_ERROR && strncmp(hlen->str, "WRONGTYPE", 9) == 0) {
        note_skip(r, SKIP_NOT_HASH, key->str, key->len);
        goto done;
    }
    if (hlen->type != REDIS_REPLY_INTEGER || hmget->type != REDIS_REPLY_ARRAY
        || hmget->elements != METRIC_FLASK__COUNT) {
        fprintf(stderr, PROG ": Redis error while reading a key: %s\n",
                hlen->type == REDIS_REPLY_ERROR ? hlen->str : "unexpected reply");
        ok = false;
        goto done;
    }
    const char *value[METRIC_FLASK__COUNT];
    size_t len[METRIC_FLASK__COUNT];
    for (int m = 0; m < METRIC_FLASK__COUNT; m++) {
        const redisReply *e = hmget->element[m];
        value[m] = e->type == REDIS_REPLY_STRING ? e->str : NULL;
        len[m] = e->type == REDIS_REPLY_STRING ? e->len : 0;
    }
    static const enum skip skips[] = {[FLASK_GONE] = SKIP_GONE,
                                      [FLASK_OTHER_FIELDS] = SKIP_OTHER_FIELDS,
                                      [FLASK_NOT_A_COUNT] = SKIP_NOT_A_COUNT};
    enum flask_verdict v = flask_read_hash(hlen->integer, value, len, &src->counts);
    if (v != FLASK_COUNTERS) {
        note_skip(r, skips[v], key->str, key->len);
        goto done;
    }
    src->name = key->str;
    src->len = key->len;
    *is_counter = true;
done:
    if (hlen) freeReplyObject(hlen);
    if (hmget) freeReplyObject(hmget);
    return ok;
}

/* Fills `out` with the Flask counters among `keys`; returns how many, or
 * -1 on a Redis error. */
static long find_counters(struct run *r, const redisReply *keys, struct source *out) {
    for (size_t i = 0; i < keys->elements; i++) {
        if (!is_adstats_key(keys->element[i]) && !send_probe(r, keys->element[i])) {
            redis_failed(r, "reading a key");
            return -1;
        }
    }
    long n = 0;
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *key = keys->element[i];
        r->rep.scanned++;
        if (is_adstats_key(key)) {
            note_skip(r, SKIP_ADSTATS, key->str, key->len);
            continue;
        }
        bool is_counter;
        if (!read_probe(r, key, &out[n], &is_counter)) return -1;
        if (is_counter) n++;
    }
    r->rep.counters += n;
    return n;
}

/* ---- step 2: what was imported before ----------------------------------- */

/* Lays out the (name, dimension) pairs of the batch; returns how many. */
static size_t resolve(struct run *r, const struct source *src, size_t n, struct target *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned dims = flask_resolve(r->opt.as, src[i].name, src[i].len);
        r->rep.resolved[dims]++;
        for (int d = 0; d < DIM__COUNT; d++) {
            if (!(dims & FLASK_DIM_BIT(d))) continue;
            out[k] = (struct target){.src = &src[i], .dim = (enum dimension)d};
            if (flask_name_valid(out[k].dim, src[i].name, src[i].len)) k++;
            else note_outcome(r, &out[k], OUT_INVALID);
        }
    }
    return k;
}

static bool send_record_read(struct run *r, const struct target *t) {
    struct buf key;
    buf_init(&key);
    key_flask_import(&key, t->dim, t->src->name, t->src->len);
    const char *argv[] = {"HMGET", key.data, FIELD_IMPRESSIONS, FIELD_AD_REQUESTS};
    size_t len[] = {5, key.len, strlen(argv[2]), strlen(argv[3])};
    bool ok = !key.failed && redisAppendCommandArgv(r->redis, 4, argv, len) == REDIS_OK;
    buf_free(&key);
    return ok;
}

/* Parses an import record: both fields counts, or neither present. */
static bool parse_record(const redisReply *reply, struct target *t) {
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != METRIC_FLASK__COUNT) return false;
    int present = 0;
    for (int m = 0; m < METRIC_FLASK__COUNT; m++) {
        const redisReply *e = reply->element[m];
        t->seen.n[m] = 0;
        if (e->type != REDIS_REPLY_STRING) continue;
        present++;
        if (!flask_parse_count(e->str, e->len, &t->seen.n[m])) return false;
    }
    t->recorded = present == METRIC_FLASK__COUNT;
    return present == 0 || t->recorded;
}

/* Reads the records and decides each target; returns false on a Redis
 * error. Targets with something new keep their place, marked NEW. */
static bool read_records(struct run *r, struct target *t, size_t n, enum flask_delta *decision) {
    for (size_t i = 0; i < n; i++) {
        if (!send_record_read(r, &t[i])) return redis_failed(r, "reading import records");
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = next_ok_reply(r, "reading import records");
        if (reply == NULL) return false;
        bool ok = parse_record(reply, &t[i]);
        freeReplyObject(reply);
        if (!ok) {
            print_name(PROG ": unreadable import record for", t[i].src->name, t[i].src->len,
                       "skipped");
            note_outcome(r, &t[i], OUT_FAILED);
            decision[i] = FLASK_DELTA_SAME; /* nothing to apply */
            continue;
        }
        decision[i] = flask_delta(&t[i].src->counts, &t[i].seen, &t[i].delta);
        if (decision[i] == FLASK_DELTA_SAME) note_outcome(r, &t[i], OUT_SAME);
        if (decision[i] == FLASK_DELTA_LOWER) note_outcome(r, &t[i], OUT_LOWER);
    }
    return true;
}

/* ---- step 3: adding the difference ------------------------------------- */

static bool send_apply(struct run *r, const struct target *t) {
    const struct source *s = t->src;
    struct buf record, total;
    buf_init(&record);
    buf_init(&total);
    key_flask_import(&record, t->dim, s->name, s->len);
    key_total(&total, t->dim, s->name, s->len);
    char num[6][24];
    for (int m = 0; m < METRIC_FLASK__COUNT; m++) {
        if (t->recorded) snprintf(num[m], sizeof(num[m]), "%lld", t->seen.n[m]);
        else num[m][0] = '\0';
        snprintf(num[2 + m], sizeof(num[2 + m]), "%lld", s->counts.n[m]);
        snprintf(num[4 + m], sizeof(num[4 + m]), "%lld", t->delta.n[m]);
    }
    const char *top_imp = key_top(t->dim, METRIC_IMPRESSIONS);
    const char *top_req = key_top(t->dim, METRIC_AD_REQUESTS);
    const char *argv[] = {"EVAL", apply_script, "4", record.data, total.data, top_imp, top_req,
                          s->name, num[0], num[1], num[2], num[3], num[4], num[5]};
    size_t len[] = {4, sizeof(apply_script) - 1, 1, record.len, total.len, strlen(top_imp),
                    strlen(top_req), s->len, strlen(num[0]), strlen(num[1]), strlen(num[2]),
                    strlen(num[3]), strlen(num[4]), strlen(num[5])};
    bool ok = !record.failed && !total.failed
           && redisAppendCommandArgv(r->redis, 14, argv, len) == REDIS_OK;
    buf_free(&record);
    buf_free(&total);
    return ok;
}

static bool apply(struct run *r, const struct target *t, size_t n,
                  const enum flask_delta *decision) {
    for (size_t i = 0; i < n; i++) {
        if (decision[i] == FLASK_DELTA_NEW && !r->opt.dry_run && !send_apply(r, &t[i]))
            return redis_failed(r, "importing");
    }
    for (size_t i = 0; i < n; i++) {
        if (decision[i] != FLASK_DELTA_NEW) continue;
        if (r->opt.dry_run) {
            note_outcome(r, &t[i], OUT_IMPORTED);
            continue;
        }
        redisReply *reply = next_reply(r, "importing");
        if (reply == NULL) return false;
        if (reply->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, PROG ": Redis error while importing: %s\n", reply->str);
            note_outcome(r, &t[i], OUT_FAILED);
        } else {
            bool done = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
            note_outcome(r, &t[i], done ? OUT_IMPORTED : OUT_RACED);
        }
        freeReplyObject(reply);
    }
    return true;
}

/* ---- the scan ------------------------------------------------------------ */

static bool import_batch(struct run *r, const redisReply *keys) {
    size_t n = keys->elements;
    struct source *src = calloc(n + 1, sizeof(*src));
    struct target *t = calloc(2 * n + 1, sizeof(*t));
    enum flask_delta *decision = calloc(2 * n + 1, sizeof(*decision));
    bool ok = false;
    if (src == NULL || t == NULL || decision == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        goto done;
    }
    long found = find_counters(r, keys, src);
    if (found < 0) goto done;
    size_t k = resolve(r, src, (size_t)found, t);
    ok = read_records(r, t, k, decision) && apply(r, t, k, decision);
done:
    free(src);
    free(t);
    free(decision);
    return ok;
}

static bool scan_reply_valid(const redisReply *reply) {
    return reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_STRING
        && reply->element[1]->type == REDIS_REPLY_ARRAY;
}

static bool scan(struct run *r) {
    char cursor[32] = "0";
    do {
        if (redisAppendCommand(r->redis, "SCAN %s COUNT " SCAN_COUNT, cursor) != REDIS_OK)
            return redis_failed(r, "scanning the keys");
        redisReply *reply = next_ok_reply(r, "scanning the keys");
        if (reply == NULL) return false;
        bool ok = scan_reply_valid(reply) && reply->element[0]->len < sizeof(cursor);
        if (ok) {
            memcpy(cursor, reply->element[0]->str, reply->element[0]->len + 1);
            ok = import_batch(r, reply->element[1]);
        } else {
            fprintf(stderr, PROG ": unexpected reply to SCAN (a sharding proxy?)\n");
        }
        freeReplyObject(reply);
        if (!ok) return false;
    } while (strcmp(cursor, "0") != 0);
    return true;
}

/* ---- the report ---------------------------------------------------------- */

static void line(const char *label, const char *detail, long long n) {
    char text[96];
    snprintf(text, sizeof(text), "%s%s:", label, detail);
    printf("%-56s %lld\n", text, n);
}

static void print_dimension(const struct report *rep, enum dimension d) {
    static const char *const what[OUT__COUNT] = {
        [OUT_IMPORTED] = " imported", [OUT_SAME] = " already imported",
        [OUT_INVALID] = " skipped: not a valid name",
        [OUT_LOWER] = " skipped: Flask count below imported",
        [OUT_RACED] = " skipped: changed by a concurrent import",
        [OUT_FAILED] = " failed"};
    for (int o = 0; o < OUT__COUNT; o++) line(dim_label[d], what[o], rep->outcome[d][o]);
    line(dim_label[d], ": impressions added", rep->added[d][METRIC_IMPRESSIONS]);
    line(dim_label[d], ": ad requests added", rep->added[d][METRIC_AD_REQUESTS]);
}

static void print_report(const struct run *r, const struct config *cfg) {
    const struct report *rep = &r->rep;
    const struct redis_endpoint *ep = &cfg->redis;
    printf("import-flask from redis %s:%d/%d, --as %s%s\n", ep->host, ep->port, ep->db,
           flask_as_name(r->opt.as), r->opt.dry_run ? ", dry run: nothing was written" : "");
    line("keys scanned", "", rep->scanned);
    line("Flask counters found", "", rep->counters);
    line("skipped: adstats keys (as:*)", "", rep->skipped[SKIP_ADSTATS]);
    line("skipped: not a hash", "", rep->skipped[SKIP_NOT_HASH]);
    line("skipped: hash with other fields", "", rep->skipped[SKIP_OTHER_FIELDS]);
    line("skipped: value not a count", "", rep->skipped[SKIP_NOT_A_COUNT]);
    line("skipped: gone during the scan", "", rep->skipped[SKIP_GONE]);
    line("names resolved as user", "", rep->resolved[FLASK_DIM_BIT(DIM_USER)]);
    line("names resolved as SDK version", "", rep->resolved[FLASK_DIM_BIT(DIM_SDK)]);
    line("names resolved as both", "",
         rep->resolved[FLASK_DIM_BIT(DIM_USER) | FLASK_DIM_BIT(DIM_SDK)]);
    print_dimension(rep, DIM_USER);
    print_dimension(rep, DIM_SDK);
    printf("per-day counters and unique sessions: not rebuilt (the Flask service kept\n"
           "neither); only /statistics without from/to and /statistics/top include them\n");
}

static bool any_failed(const struct report *rep) {
    return rep->outcome[DIM_USER][OUT_FAILED] + rep->outcome[DIM_SDK][OUT_FAILED] > 0;
}

/* The import talks to one Redis, and its EVAL names 4 keys of different
 * slots: on a Redis Cluster it would write to whatever --redis-url says,
 * or fail with CROSSSLOT. */
static int refuse_cluster(void) {
    fprintf(stderr, PROG ": --redis-cluster (REDIS_CLUSTER) is set, but the import cannot write "
                    "to a Redis Cluster; import into a single Redis (--redis-url) and migrate "
                    "the keys, or unset it\n");
    return 2;
}

int import_flask_main(int argc, char **argv) {
    struct run r = {0};
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL) return 1;
    int n_rest;
    int status = parse_options(argc, argv, &r.opt, rest, &n_rest);
    struct config cfg;
    if (status < 0) {
        switch (config_load(&cfg, n_rest, rest, ".env", stdout, stderr)) {
        case CONFIG_OK: break;
        case CONFIG_EXIT_OK: status = 0; break;
        case CONFIG_ERROR: status = 2; break;
        }
    }
    free(rest);
    if (status < 0 && cfg.redis_cluster[0] != '\0') status = refuse_cluster();
    if (status >= 0) return status;
    status = connect_redis(&r, &cfg) && scan(&r) ? 0 : 1;
    if (status == 0) {
        print_report(&r, &cfg);
        if (any_failed(&r.rep)) status = 1;
    }
    if (r.redis != NULL) redisFree(r.redis);
    return status;
}
