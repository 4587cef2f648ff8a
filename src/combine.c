/* combine.c -- write combining; see combine.h.
 *
 * One pass over the original commands assigns each to a slot (a merged
 * command) through an open-addressing hash table keyed by the command's
 * identity: its kind, key, and field or member. The table and every work
 * array belong to the combiner and are reused from one plan to the next
 * (the table is "cleared" by bumping a generation number), so a plan costs
 * one allocation: the part that must outlive the sending, the slots, their
 * dependent batches and their arguments. */
#include "combine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

enum kind { K_OTHER, K_HINCRBY, K_ZINCRBY, K_PFADD };

struct work {                 /* one slot while planning */
    enum kind kind;
    const char *const *argv;  /* its first original command's arguments */
    const size_t *argvlen;
    int argc;
    long long sum;            /* HINCRBY, ZINCRBY */
    size_t ele_head, ele_tail; /* PFADD elements, a list in `eles` */
    size_t n_eles;
    size_t n_deps, cursor;
};

struct ele {
    const char *s;
    size_t len;
    size_t next;
};

struct entry {
    uint64_t hash;
    uint32_t slot;
    uint32_t gen;
};

struct combiner {
    struct work *work;          /* per slot */
    size_t *dep_slot;           /* per original command: its slot */
    struct store_batch **dep_batch; /* ...and its batch */
    size_t *dep_index;          /* ...and its reply index (COMBINE_NO_REPLY) */
    struct ele *eles;           /* PFADD elements */
    size_t work_cap, dep_slot_cap, dep_batch_cap, dep_index_cap, eles_cap;
    size_t n_slots, n_eles;
    struct entry *table;
    size_t table_cap;
    uint32_t gen;
};

#define NO_ELE SIZE_MAX

struct combiner *combiner_new(void) {
    return calloc(1, sizeof(struct combiner));
}

void combiner_free(struct combiner *c) {
    if (c == NULL) return;
    free(c->work);
    free(c->dep_slot);
    free(c->dep_batch);
    free(c->dep_index);
    free(c->eles);
    free(c->table);
    free(c);
}

/* ---- capacity ---------------------------------------------------------- */

/* Work arrays for `cmds` original commands with `args` arguments in all:
 * merging never makes more slots than commands, nor more arguments. */
static bool reserve(struct combiner *c, size_t cmds, size_t args) {
    if (!buf_grow_array((void **)&c->work, &c->work_cap, cmds, sizeof(*c->work))
        || !buf_grow_array((void **)&c->dep_slot, &c->dep_slot_cap, cmds, sizeof(*c->dep_slot))
        || !buf_grow_array((void **)&c->dep_batch, &c->dep_batch_cap, cmds, sizeof(*c->dep_batch))
        || !buf_grow_array((void **)&c->dep_index, &c->dep_index_cap, cmds, sizeof(*c->dep_index))
        || !buf_grow_array((void **)&c->eles, &c->eles_cap, args, sizeof(*c->eles)))
        return false;
    if (2 * cmds > c->table_cap) {
        size_t n = c->table_cap ? c->table_cap : 256;
        while (n < 2 * cmds) n *= 2;
        struct entry *t = calloc(n, sizeof(*t));
        if (t == NULL) return false;
        free(c->table);
        c->table = t;
        c->table_cap = n;
        c->gen = 0;
    }
    if (++c->gen == 0) { /* wrapped: clear for real */
        memset(c->table, 0, c->table_cap * sizeof(*c->table));
        c->gen = 1;
    }
    return true;
}

/* ---- identity ---------------------------------------------------------- */

static bool is(const char *s, size_t len, const char *name) {
    return len == strlen(name) && memcmp(s, name, len) == 0;
}

/* A plain decimal integer of at most 18 digits, so sums cannot overflow
 * before a check. */
static bool parse_increment(const char *s, size_t len, long long *v) {
    size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
    if (len == i || len - i > 18) return false;
    long long n = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        n = n * 10 + (s[i] - '0');
    }
    *v = s[0] == '-' ? -n : n;
    return true;
}

static enum kind classify(int argc, const char *const *argv, const size_t *len, long long *incr) {
    if (argc == 4 && is(argv[0], len[0], "HINCRBY") && parse_increment(argv[3], len[3], incr))
        return K_HINCRBY;
    if (argc == 4 && is(argv[0], len[0], "ZINCRBY") && parse_increment(argv[2], len[2], incr))
        return K_ZINCRBY;
    if (argc >= 3 && is(argv[0], len[0], "PFADD")) return K_PFADD;
    return K_OTHER;
}

/* The argument that, with the key, tells merged commands apart. */
static int identity_arg(enum kind k) {
    switch (k) {
    case K_HINCRBY: return 2;
    case K_ZINCRBY: return 3;
    default: return -1;
    }
}

/* A fast non-cryptographic hash, eight bytes at a time (keys are short and
 * come from our own code; collisions only cost a comparison). */
static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v * 0x9E3779B97F4A7C15ULL;
    h = (h << 29) | (h >> 35);
    return h * 0xBF58476D1CE4E5B9ULL;
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t len) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        h = mix(h, v);
    }
    uint64_t tail = 0;
    memcpy(&tail, s + i, len - i);
    return mix(h, tail ^ ((uint64_t)len << 56));
}

static uint64_t identity_hash(enum kind k, const char *const *argv, const size_t *len) {
    uint64_t h = hash_bytes((uint64_t)k, argv[1], len[1]);
    int id = identity_arg(k);
    if (id > 0) h = hash_bytes(h, argv[id], len[id]);
    return h ^ (h >> 31);
}

static bool same_identity(const struct work *w, enum kind k, const char *const *argv,
                          const size_t *len) {
    if (w->kind != k || w->argvlen[1] != len[1] || memcmp(w->argv[1], argv[1], len[1]) != 0)
        return false;
    int id = identity_arg(k);
    return id < 0
        || (w->argvlen[id] == len[id] && memcmp(w->argv[id], argv[id], len[id]) == 0);
}

/* ---- planning ---------------------------------------------------------- */

static size_t new_slot(struct combiner *c, enum kind k, int argc, const char *const *argv,
                       const size_t *len, long long incr) {
    struct work *w = &c->work[c->n_slots];
    w->kind = k;
    w->argv = argv;
    w->argvlen = len;
    w->argc = argc;
    w->sum = incr;
    w->ele_head = w->ele_tail = NO_ELE;
    w->n_eles = 0;
    w->n_deps = 0;
    return c->n_slots++;
}

static void add_elements(struct combiner *c, struct work *w, int argc, const char *const *argv,
                         const size_t *len) {
    for (int i = 2; i < argc; i++) {
        size_t e = c->n_eles++;
        c->eles[e] = (struct ele){argv[i], len[i], NO_ELE};
        if (w->ele_tail == NO_ELE) w->ele_head = e;
        else c->eles[w->ele_tail].next = e;
        w->ele_tail = e;
        w->n_eles++;
    }
}

/* Finds the slot an original command merges into, or makes one. */
static size_t place(struct combiner *c, int argc, const char *const *argv, const size_t *len) {
    long long incr = 0;
    enum kind k = classify(argc, argv, len, &incr);
    if (k == K_OTHER) return new_slot(c, k, argc, argv, len, 0);

    uint64_t h = identity_hash(k, argv, len);
    size_t mask = c->table_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct entry *e = &c->table[i];
        if (e->gen != c->gen) {
            size_t slot = new_slot(c, k, argc, argv, len, incr);
            *e = (struct entry){h, (uint32_t)slot, c->gen};
            if (k == K_PFADD) add_elements(c, &c->work[slot], argc, argv, len);
            return slot;
        }
        struct work *w = &c->work[e->slot];
        if (e->hash != h || !same_identity(w, k, argv, len)) continue;
        if (k == K_HINCRBY || k == K_ZINCRBY) {
            long long sum;
            if (__builtin_add_overflow(w->sum, incr, &sum))
                return new_slot(c, K_OTHER, argc, argv, len, 0); /* exact or not at all */
            w->sum = sum;
        }
        if (k == K_PFADD) add_elements(c, w, argc, argv, len);
        return e->slot;
    }
}

/* The plan's arguments, filled one merged command after the other. */
struct layout {
    const char **argv;
    size_t *argvlen;
    size_t n;
};

static void push_arg(struct layout *l, const char *s, size_t len) {
    l->argv[l->n] = s;
    l->argvlen[l->n] = len;
    l->n++;
}

/* Writes v in decimal to out (room for 20 digits and a sign) and returns
 * the length: snprintf's "%lld", which a plan calls once per merged
 * counter, without its format parsing. */
static size_t format_ll(char *out, long long v) {
    char digits[20];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0;
    do digits[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    size_t len = 0;
    if (v < 0) out[len++] = '-';
    while (n > 0) out[len++] = digits[--n];
    return len;
}

/* Writes the merged command of work `w` into the plan, as `slot`. */
static void lay_out(const struct combiner *c, const struct work *w, struct combine_slot *slot,
                    struct layout *l) {
    size_t first = l->n;
    switch (w->kind) {
    case K_HINCRBY:
    case K_ZINCRBY: {
        size_t n = format_ll(slot->number, w->sum);
        int at = w->kind == K_HINCRBY ? 3 : 2;
        for (int i = 0; i < 4; i++) {
            if (i == at) push_arg(l, slot->number, n);
            else push_arg(l, w->argv[i], w->argvlen[i]);
        }
        break;
    }
    case K_PFADD:
        push_arg(l, w->argv[0], w->argvlen[0]);
        push_arg(l, w->argv[1], w->argvlen[1]);
        for (size_t e = w->ele_head; e != NO_ELE; e = c->eles[e].next)
            push_arg(l, c->eles[e].s, c->eles[e].len);
        break;
    default:
        for (int i = 0; i < w->argc; i++) push_arg(l, w->argv[i], w->argvlen[i]);
        break;
    }
    slot->argv = &l->argv[first];
    slot->argvlen = &l->argvlen[first];
    slot->argc = (int)(l->n - first);
}

/* Merging never makes more arguments than the original commands had. */
static struct combine_plan *build_plan(struct combiner *c, size_t n_deps, size_t n_args) {
    size_t head = sizeof(struct combine_plan);
    size_t slots = c->n_slots * sizeof(struct combine_slot);
    size_t deps = n_deps * (sizeof(struct store_batch *) + sizeof(size_t));
    size_t argv = n_args * sizeof(const char *);
    struct combine_plan *p = malloc(head + slots + deps + argv + n_args * sizeof(size_t));
    if (p == NULL) return NULL;
    p->n_slots = c->n_slots;
    p->pending = c->n_slots;
    p->sent_ms = 0;
    p->slots = (struct combine_slot *)((char *)p + head);
    p->deps = (struct store_batch **)((char *)p + head + slots);
    p->dep_index = (size_t *)(p->deps + n_deps);
    struct layout l = {(const char **)((char *)p + head + slots + deps),
                       (size_t *)((char *)p + head + slots + deps + argv), 0};
    size_t first = 0;
    for (size_t s = 0; s < c->n_slots; s++) {
        p->slots[s].plan = p;
        p->slots[s].first_dep = first;
        p->slots[s].n_deps = c->work[s].n_deps;
        c->work[s].cursor = first;
        first += c->work[s].n_deps;
    }
    for (size_t d = 0; d < n_deps; d++) {
        size_t at = c->work[c->dep_slot[d]].cursor++;
        p->deps[at] = c->dep_batch[d];
        p->dep_index[at] = c->dep_index[d];
    }
    for (size_t s = 0; s < c->n_slots; s++) lay_out(c, &c->work[s], &p->slots[s], &l);
    return p;
}

struct combine_plan *combine_plan(struct combiner *c, struct store_batch *const *batches,
                                  size_t n) {
    size_t cmds = 0, args = 0;
    for (size_t i = 0; i < n; i++) {
        cmds += batches[i]->n_cmds;
        args += batches[i]->n_args;
    }
    if (cmds == 0 || cmds > UINT32_MAX / 4 || !reserve(c, cmds, args)) return NULL;
    c->n_slots = 0;
    c->n_eles = 0;
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        struct store_batch *b = batches[i];
        for (size_t k = 0; k < b->n_cmds; k++) {
            const struct store_cmd *cmd = &b->cmds[k];
            size_t slot = place(c, cmd->argc, &b->argv[cmd->first], &b->argvlen[cmd->first]);
            c->work[slot].n_deps++;
            c->dep_slot[d] = slot;
            c->dep_batch[d] = b;
            c->dep_index[d] = cmd->tag != 0 ? k : COMBINE_NO_REPLY;
            d++;
        }
    }
    return build_plan(c, d, args);
}
