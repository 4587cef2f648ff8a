/* index_buffer.c -- the deferred index writer's buffers and flush batches;
 * see index_buffer.h.
 *
 * A buffer is a few arrays allocated once (index_buffer_init) and reused:
 * top entries and session keys share one open-addressing hash table, and
 * session ids and key names are copied into one byte arena. Clearing
 * empties only the table slots in use. Nothing allocates after init but
 * the growth of a flush's per-command array. */
#include "index_buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expiry_cache.h"
#include "keys.h"

const struct index_caps index_caps_default = {
    .top_entries = 16384,
    .session_keys = 8192,
    .session_elements = 32768,
    .session_bytes = 1 << 20,
};

#define NONE UINT32_MAX

static size_t table_size(const struct index_caps *c) {
    size_t need = 2 * (c->top_entries + c->session_keys), n = 64;
    while (n < need) n *= 2;
    return n;
}

bool index_buffer_init(struct index_buffer *b, const struct index_caps *caps) {
    memset(b, 0, sizeof(*b));
    b->caps = *caps;
    b->table_cap = table_size(caps);
    b->top = calloc(caps->top_entries ? caps->top_entries : 1, sizeof(*b->top));
    b->keys = calloc(caps->session_keys ? caps->session_keys : 1, sizeof(*b->keys));
    b->eles = calloc(caps->session_elements ? caps->session_elements : 1, sizeof(*b->eles));
    b->bytes = malloc(caps->session_bytes ? caps->session_bytes : 1);
    b->table = calloc(b->table_cap, sizeof(*b->table));
    if (b->top && b->keys && b->eles && b->bytes && b->table) return true;
    index_buffer_free(b);
    return false;
}

void index_buffer_free(struct index_buffer *b) {
    free(b->top);
    free(b->keys);
    free(b->eles);
    free(b->bytes);
    free(b->table);
    memset(b, 0, sizeof(*b));
}

void index_buffer_clear(struct index_buffer *b) {
    for (size_t i = 0; i < b->n_top; i++) b->table[b->top[i].slot] = 0;
    for (size_t i = 0; i < b->n_keys; i++) b->table[b->keys[i].slot] = 0;
    b->n_top = b->n_keys = b->n_eles = b->n_bytes = 0;
    memset(b->per_list, 0, sizeof(b->per_list));
}

bool index_buffer_empty(const struct index_buffer *b) {
    return b->n_top == 0 && b->n_keys == 0;
}

bool index_buffer_high(const struct index_buffer *b) {
    const struct index_caps *c = &b->caps;
    return 2 * b->n_top > c->top_entries || 2 * b->n_keys > c->session_keys
        || 2 * b->n_eles > c->session_elements || 2 * b->n_bytes > c->session_bytes;
}

/* ---- lists ------------------------------------------------------------- */

void index_lists_init(struct index_lists *l, long long top_size) {
    memset(l, 0, sizeof(*l));
    l->top_size = top_size;
}

unsigned index_list_of(enum dimension dim, enum metric m) {
    return (unsigned)dim * METRIC_RANKED__COUNT + (unsigned)m;
}

static enum dimension list_dim(unsigned list) {
    return (enum dimension)(list / METRIC_RANKED__COUNT);
}

static const char *list_key(unsigned list) {
    return key_top(list_dim(list), (enum metric)(list % METRIC_RANKED__COUNT));
}

/* ---- the hash table ---------------------------------------------------- */

static uint64_t hash_of(unsigned kind, const char *s, size_t len) {
    return key_hash64(s, len) ^ ((uint64_t)kind * 0x9E3779B97F4A7C15ULL);
}

/* The slot holding what `match` accepts, or the empty slot where it goes. */
static size_t probe(const struct index_buffer *b, uint64_t h,
                    bool (*match)(const struct index_buffer *, uint32_t, const void *),
                    const void *arg) {
    size_t mask = b->table_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t v = b->table[i];
        if (v == 0 || match(b, v - 1, arg)) return i;
    }
}

struct top_probe {
    uint64_t hash;
    unsigned list;
    const char *value;
    size_t len;
};

static bool top_matches(const struct index_buffer *b, uint32_t v, const void *arg) {
    const struct top_probe *p = arg;
    if (v >= b->caps.top_entries) return false;
    const struct top_entry *e = &b->top[v];
    return e->hash == p->hash && e->list == p->list && e->len == p->len
        && memcmp(e->value, p->value, p->len) == 0;
}

enum index_put index_top_offer(struct index_buffer *b, const struct index_lists *l,
                               unsigned list, const char *value, size_t len, long long total) {
    if (list >= INDEX_TOP_LISTS || len > INDEX_VALUE_MAX || total <= l->threshold[list])
        return INDEX_PUT_BELOW;
    struct top_probe p = {hash_of(1 + list, value, len), list, value, len};
    size_t slot = probe(b, p.hash, top_matches, &p);
    if (b->table[slot] != 0) {
        struct top_entry *e = &b->top[b->table[slot] - 1];
        if (total > e->total) e->total = total;
        return INDEX_PUT_MERGED;
    }
    if (b->n_top == b->caps.top_entries) return INDEX_PUT_FULL;
    struct top_entry *e = &b->top[b->n_top];
    e->total = total;
    e->hash = p.hash;
    e->slot = (uint32_t)slot;
    e->list = (uint16_t)list;
    e->len = (uint8_t)len;
    memcpy(e->value, value, len);
    b->table[slot] = (uint32_t)++b->n_top;
    b->per_list[list]++;
    return INDEX_PUT_NEW;
}

/* Removing from open addressing: the entries after the hole that probed
 * past it are put in again (the table is at most half full). */
static void reinsert_after(struct index_buffer *b, size_t hole);

static void remove_top(struct index_buffer *b, size_t i) {
    struct top_entry *e = &b->top[i];
    b->per_list[e->list]--;
    b->table[e->slot] = 0;
    reinsert_after(b, e->slot);
    size_t last = --b->n_top;
    if (i != last) {
        *e = b->top[last];
        b->table[e->slot] = (uint32_t)(i + 1);
    }
}

static uint64_t slot_hash(const struct index_buffer *b, uint32_t v) {
    return v < b->caps.top_entries ? b->top[v].hash : b->keys[v - b->caps.top_entries].hash;
}

static void set_slot(struct index_buffer *b, uint32_t v, size_t slot) {
    if (v < b->caps.top_entries) b->top[v].slot = (uint32_t)slot;
    else b->keys[v - b->caps.top_entries].slot = (uint32_t)slot;
}

static void reinsert_after(struct index_buffer *b, size_t hole) {
    size_t mask = b->table_cap - 1;
    for (size_t i = (hole + 1) & mask; b->table[i] != 0; i = (i + 1) & mask) {
        uint32_t v = b->table[i];
        b->table[i] = 0;
        size_t j = (size_t)slot_hash(b, v - 1) & mask;
        while (b->table[j] != 0) j = (j + 1) & mask;
        b->table[j] = v;
        set_slot(b, v - 1, j);
    }
}

void index_top_forget(struct index_buffer *b, enum dimension dim, const char *value,
                      size_t len) {
    for (size_t i = b->n_top; i-- > 0;) {
        const struct top_entry *e = &b->top[i];
        if (list_dim(e->list) == dim && e->len == len && memcmp(e->value, value, len) == 0)
            remove_top(b, i);
    }
}

/* ---- sessions ---------------------------------------------------------- */

struct key_probe {
    uint64_t hash;
    const char *key;
    size_t len;
};

static bool key_matches(const struct index_buffer *b, uint32_t v, const void *arg) {
    const struct key_probe *p = arg;
    if (v < b->caps.top_entries) return false;
    const struct session_key *k = &b->keys[v - b->caps.top_entries];
    return k->hash == p->hash && k->len == p->len
        && memcmp(b->bytes + k->off, p->key, p->len) == 0;
}

static uint32_t copy_bytes(struct index_buffer *b, const char *s, size_t len) {
    uint32_t off = (uint32_t)b->n_bytes;
    memcpy(b->bytes + off, s, len);
    b->n_bytes += len;
    return off;
}

static struct session_key *find_key(struct index_buffer *b, const char *key, size_t klen,
                                    long long expire_at_s, bool *full) {
    struct key_probe p = {hash_of(0, key, klen), key, klen};
    size_t slot = probe(b, p.hash, key_matches, &p);
    *full = false;
    if (b->table[slot] != 0) return &b->keys[b->table[slot] - 1 - b->caps.top_entries];
    if (b->n_keys == b->caps.session_keys || klen > b->caps.session_bytes - b->n_bytes) {
        *full = true;
        return NULL;
    }
    struct session_key *k = &b->keys[b->n_keys];
    *k = (struct session_key){.hash = p.hash, .expire_at_s = expire_at_s, .len = (uint32_t)klen,
                              .head = NONE, .tail = NONE, .slot = (uint32_t)slot};
    k->off = copy_bytes(b, key, klen);
    b->table[slot] = (uint32_t)(1 + b->caps.top_entries + b->n_keys++);
    return k;
}

enum index_put index_session_add(struct index_buffer *b, const char *key, size_t klen,
                                 long long expire_at_s, const char *ele, size_t elen) {
    bool full;
    struct session_key *k = find_key(b, key, klen, expire_at_s, &full);
    if (k == NULL) return full ? INDEX_PUT_FULL : INDEX_PUT_BELOW;
    if (k->tail != NONE) { /* a session's events come together: skip a repeat */
        const struct session_ele *t = &b->eles[k->tail];
        if (t->len == elen && memcmp(b->bytes + t->off, ele, elen) == 0) return INDEX_PUT_MERGED;
    }
    if (b->n_eles == b->caps.session_elements || elen > b->caps.session_bytes - b->n_bytes)
        return INDEX_PUT_FULL;
    uint32_t e = (uint32_t)b->n_eles++;
    b->eles[e] = (struct session_ele){copy_bytes(b, ele, elen), (uint32_t)elen, NONE};
    if (k->tail == NONE) k->head = e;
    else b->eles[k->tail].next = e;
    k->tail = e;
    k->n++;
    return INDEX_PUT_NEW;
}

/* ---- flushing ---------------------------------------------------------- */

void index_flush_init(struct index_flush *f, long long top_size) {
    memset(f, 0, sizeof(*f));
    snprintf(f->range_rank, sizeof(f->range_rank), "%lld", -top_size);
    snprintf(f->trim_from, sizeof(f->trim_from), "%lld", -(top_size + INDEX_TRIM_CHUNK));
    snprintf(f->trim_to, sizeof(f->trim_to), "%lld", -(top_size + 1));
}

void index_flush_free(struct index_flush *f) {
    free(f->cmds);
    free(f->order);
    memset(f, 0, sizeof(*f));
}


struct flush_size {
    size_t cmds, args, arena;
};

static struct flush_size measure(struct index_buffer *b, const struct index_lists *l,
                                 long long now_ms) {
    struct flush_size z = {0, 0, 0};
    for (size_t i = 0; i < b->n_keys; i++) {
        struct session_key *k = &b->keys[i];
        k->ok = false;
        k->expire = k->expire_at_s != 0
                 && expiry_cache_claim(b->bytes + k->off, k->len, k->expire_at_s, now_ms);
        z.cmds += 1 + k->expire;
        z.args += 2 + k->n + 3 * k->expire;
        z.arena += 24 * k->expire;
    }
    for (unsigned list = 0; list < INDEX_TOP_LISTS; list++) {
        if (b->per_list[list] > 0) {
            z.cmds += 3;
            z.args += 3 + 2 * b->per_list[list] + 4 + 5;
        } else if (l->trim_more[list]) {
            z.cmds += 1;
            z.args += 4;
        }
    }
    z.arena += 24 * b->n_top;
    return z;
}

static void add_cmd(struct index_flush *f, struct store_batch *out, enum index_cmd_kind kind,
                    uint32_t ref, const char *name) {
    f->cmds[f->n_cmds++] = (struct index_cmd){(uint8_t)kind, ref};
    store_arg_static(store_cmd_add(out), name);
}

static struct store_cmd *last(struct store_batch *out) {
    return &out->cmds[out->n_cmds - 1];
}

static void add_sessions(struct index_flush *f, struct index_buffer *b, struct store_batch *out) {
    for (uint32_t i = 0; i < b->n_keys; i++) {
        const struct session_key *k = &b->keys[i];
        add_cmd(f, out, INDEX_CMD_PFADD, i, "PFADD");
        store_arg_ref(last(out), b->bytes + k->off, k->len);
        for (uint32_t e = k->head; e != NONE; e = b->eles[e].next)
            store_arg_ref(last(out), b->bytes + b->eles[e].off, b->eles[e].len);
        if (!k->expire) continue;
        add_cmd(f, out, INDEX_CMD_EXPIREAT, i, "EXPIREAT");
        store_arg_ref(last(out), b->bytes + k->off, k->len);
        store_arg_ll(last(out), k->expire_at_s);
    }
}

static void add_trim(struct index_flush *f, struct store_batch *out, unsigned list) {
    add_cmd(f, out, INDEX_CMD_TRIM, list, "ZREMRANGEBYRANK");
    store_arg_static(last(out), list_key(list));
    store_arg_static(last(out), f->trim_from);
    store_arg_static(last(out), f->trim_to);
}

/* ZADD, trim, ZRANGE of one list; its entries are order[from, to). */
static void add_list(struct index_flush *f, struct index_buffer *b, struct store_batch *out,
                     unsigned list, size_t from, size_t to) {
    add_cmd(f, out, INDEX_CMD_ZADD, list, "ZADD");
    store_arg_static(last(out), list_key(list));
    store_arg_static(last(out), "GT");
    for (size_t i = from; i < to; i++) {
        const struct top_entry *e = &b->top[f->order[i]];
        store_arg_ll(last(out), e->total);
        store_arg_ref(last(out), e->value, e->len);
    }
    add_trim(f, out, list);
    add_cmd(f, out, INDEX_CMD_RANGE, list, "ZRANGE");
    store_arg_static(last(out), list_key(list));
    store_arg_static(last(out), f->range_rank);
    store_arg_static(last(out), f->range_rank);
    store_arg_static(last(out), "WITHSCORES");
}

static void add_lists(struct index_flush *f, struct index_buffer *b, const struct index_lists *l,
                      struct store_batch *out) {
    size_t start[INDEX_TOP_LISTS + 1], at[INDEX_TOP_LISTS];
    start[0] = 0;
    for (unsigned i = 0; i < INDEX_TOP_LISTS; i++) start[i + 1] = start[i] + b->per_list[i];
    memcpy(at, start, sizeof(at));
    for (uint32_t i = 0; i < b->n_top; i++) f->order[at[b->top[i].list]++] = i;
    for (unsigned list = 0; list < INDEX_TOP_LISTS; list++) {
        f->list_ok[list] = false;
        if (b->per_list[list] > 0) add_list(f, b, out, list, start[list], start[list + 1]);
        else if (l->trim_more[list]) add_trim(f, out, list);
    }
}

bool index_flush_build(struct index_flush *f, struct index_buffer *b,
                       const struct index_lists *l, long long now_ms, struct store_batch *out,
                       store_reply_fn *on_reply, store_done_fn *on_done) {
    struct flush_size z = measure(b, l, now_ms);
    f->n_cmds = 0;
    if (z.cmds == 0) return false;
    if (!buf_grow_array((void **)&f->cmds, &f->cmds_cap, z.cmds, sizeof(*f->cmds))
        || !buf_grow_array((void **)&f->order, &f->order_cap, b->n_top + 1, sizeof(*f->order))
        || !store_batch_init_large(out, z.cmds, z.args, z.arena, on_reply, on_done)) {
        out->overflow = true;
        return false;
    }
    add_sessions(f, b, out);
    add_lists(f, b, l, out);
    return !out->overflow;
}

/* ZRANGE key -K -K WITHSCORES: [] while shorter than K, else [member, score]. */
static void read_threshold(struct index_lists *l, unsigned list, const redisReply *r) {
    if (r->type != REDIS_REPLY_ARRAY) return;
    if (r->elements == 0) {
        l->threshold[list] = 0;
    } else if (r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING) {
        l->threshold[list] = (long long)strtod(r->element[1]->str, NULL);
    }
}

void index_flush_reply(struct index_flush *f, struct index_buffer *b, struct index_lists *l,
                       size_t index, const redisReply *reply) {
    if (index >= f->n_cmds) return;
    const struct index_cmd *c = &f->cmds[index];
    switch ((enum index_cmd_kind)c->kind) {
    case INDEX_CMD_PFADD: b->keys[c->ref].ok = true; break;
    case INDEX_CMD_EXPIREAT: break;
    case INDEX_CMD_ZADD: f->list_ok[c->ref] = true; break;
    case INDEX_CMD_TRIM:
        if (reply->type == REDIS_REPLY_INTEGER)
            l->trim_more[c->ref] = reply->integer >= INDEX_TRIM_CHUNK;
        break;
    case INDEX_CMD_RANGE: read_threshold(l, c->ref, reply); break;
    }
}

static size_t restore_sessions(const struct index_buffer *from, struct index_buffer *into) {
    size_t dropped = 0;
    for (size_t i = 0; i < from->n_keys; i++) {
        const struct session_key *k = &from->keys[i];
        if (k->ok) continue;
        for (uint32_t e = k->head; e != NONE; e = from->eles[e].next) {
            enum index_put r = index_session_add(into, from->bytes + k->off, k->len,
                                                 k->expire_at_s, from->bytes + from->eles[e].off,
                                                 from->eles[e].len);
            dropped += r == INDEX_PUT_FULL;
        }
    }
    return dropped;
}

size_t index_flush_restore(struct index_flush *f, struct index_buffer *from,
                           struct index_buffer *into, const struct index_lists *l,
                           size_t *dropped_sessions) {
    size_t dropped = 0;
    for (size_t i = 0; i < from->n_top; i++) {
        const struct top_entry *e = &from->top[i];
        if (f->list_ok[e->list]) continue;
        dropped += index_top_offer(into, l, e->list, e->value, e->len, e->total)
                == INDEX_PUT_FULL;
    }
    *dropped_sessions = restore_sessions(from, into);
    memset(f->list_ok, 0, sizeof(f->list_ok));
    f->n_cmds = 0;
    index_buffer_clear(from);
    return dropped;
}
