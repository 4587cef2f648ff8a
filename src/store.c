/* store.c -- asynchronous Redis client with automatic pipelining, for one
 * Redis (or twemproxy) or a Redis Cluster; see store.h.
 *
 * The store talks to nodes: one for a single Redis, one per master (and
 * per seed) for a cluster. Each node is one hiredis async connection, whose
 * output buffer the libevent hooks (redis_libevent.h) write out once the
 * callback that sent the commands returns, so every command sent to a node
 * by one callback (a flush, one run of the HTTP daemon) goes out in one
 * write: batching needs no code of its own. What this file adds:
 *
 *  - Routing. A single Redis serves every command. In a cluster, a command
 *    goes to the master of its key's slot (every command adstats sends has
 *    one key, argv[1]; PING has none and goes to any node), read from the
 *    slot map (CLUSTER SLOTS, refreshed at most every REFRESH_MIN_MS).
 *    MOVED updates the slot and resends the command to its new owner; ASK
 *    resends it once, after ASKING, to the node named; TRYAGAIN and
 *    CLUSTERDOWN resend it after a short backoff while the batch's time
 *    budget (the timeout) lasts. At most MAX_RESENDS per command.
 *  - Group commit. Write-only batches wait for the end of the loop's turn,
 *    and while a node still owes replies to the previous such send, for
 *    those replies: the next send then merges (combine.h) all that came in
 *    meanwhile. Reads sent later do not hold writes back (Redis answers in
 *    order, so a node's owed writes are a count of replies). PENDING_MAX
 *    bounds the wait; the watchdog bounds a silent node's.
 *  - Completion. A batch counts the replies it still awaits (its commands,
 *    plus one per WAIT it depends on, plus a hold while it is being sent)
 *    and finishes exactly once, when that count reaches zero.
 *  - Timeouts. Each node keeps the send times of its unanswered commands in
 *    a ring, oldest first (Redis answers in order); a watchdog drops a node
 *    whose oldest command has waited longer than the timeout, or whose
 *    connection attempt has. Freeing a context makes hiredis call every
 *    pending callback with a NULL reply: each of those commands fails its
 *    batch (STORE_UNAVAILABLE). A command that was applied may thus be
 *    reported as failed (the client sees a 503 and may retry), but a
 *    success is only ever reported for a reply Redis sent.
 *  - Durable acknowledgements (--redis-wait-replicas N): after the
 *    commands of write-only batches, every node written to gets one
 *    `WAIT N <timeout/2>`, whose reply every batch that wrote there
 *    awaits; fewer than N replicas fails them (error code "WAIT").
 *  - Reconnection on a backoff timer per node, 25 ms doubling to 200 ms;
 *    Redis being down (at start-up too) is never fatal.
 *  - Faults are counted for /metrics and logged through log_repeated, so a
 *    failure that repeats per event is one line, then one a second. */
#include "store.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "cluster.h"
#include "combine.h"
#include "log.h"
#include "metrics.h"
#include "redis_libevent.h"
#include "redis_sync.h"
#include "reply_reuse.h"
#include "resp.h"

#define BACKOFF_MIN_MS 25
#define BACKOFF_MAX_MS 200
#define RETRY_MIN_MS 10       /* TRYAGAIN, CLUSTERDOWN: 10 ms doubling to 100 ms */
#define RETRY_MAX_MS 100
#define MAX_RESENDS 5
#define REFRESH_MIN_MS 100
#define MAX_NODES 64
#define PENDING_MAX 1024 /* batches held back while Redis is busy */
#define NO_INDEX COMBINE_NO_REPLY /* no reply to show on_reply */
#define SEND_STACK_BYTES 2048 /* a command this long is written on the stack */

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };

struct wait_group;

struct node {
    struct store *store;
    struct cluster_addr addr;
    redisAsyncContext *ac;
    enum conn_state state;
    bool tried;          /* a connection was attempted once */
    bool ever_up;        /* a connection was made once: later ones are reconnects */
    bool seed;           /* from the configuration: kept for good */
    bool mapped;         /* owns a slot in the current slot map */
    long long connect_started_ms;
    int backoff_ms;
    struct event *retry_timer;
    long long *sent;     /* ring: send times of unanswered commands */
    size_t sent_head, sent_n, sent_cap;
    size_t writes_owed;  /* of those, up to the last one the last flush sent */
    struct wait_group *wait; /* of the current send round */
};

/* One WAIT: the batches that wrote to its node before it. */
struct wait_group {
    size_t n, cap;
    struct store_batch *deps[];
};

/* A command sent again: after a redirection, or later (TRYAGAIN). It is an
 * original command (cmd) or a merged one (slot). */
struct resend {
    struct store *store;
    struct store_cmd *cmd;
    struct combine_slot *slot;
    int sends;
    int backoff_ms;
    struct node *ask;    /* send ASKING and the command there, once */
    struct event *timer;
    struct resend *prev, *next; /* waiting for the timer */
};

struct store {
    struct event_base *base;
    struct redis_endpoint ep;
    int timeout_ms;
    bool closing;

    struct node *nodes[MAX_NODES];
    size_t n_nodes;
    bool cluster;
    struct node **slots;  /* cluster: CLUSTER_SLOTS owners (NULL: unknown) */
    bool refreshing, refresh_again, have_map;
    long long refresh_ms; /* last CLUSTER SLOTS sent */
    size_t refresh_next;  /* the node to ask next */
    struct event *refresh_timer;

    int wait_replicas;
    char wait_n[16], wait_ms[16];
    struct node *round[MAX_NODES]; /* nodes written to in this send round */
    size_t n_round, round_cap;

    struct resend *waiting;
    struct event *watchdog;

    /* write-only batches waiting for the end of the loop's turn, or for
     * the replies owed to the previous flush (group commit) */
    struct store_batch **pending, **spare;
    size_t n_pending, pending_cap, spare_cap;
    struct event *flush;
    struct combiner *combiner;
};

static struct timeval ms_tv(int ms) {
    return (struct timeval){ms / 1000, (ms % 1000) * 1000};
}

static void request_refresh(struct store *s);

/* ---- the ring of send times ------------------------------------------- */

static bool ring_push(struct node *n, long long t) {
    if (n->sent_n == n->sent_cap) {
        size_t cap = n->sent_cap ? n->sent_cap * 2 : 64;
        long long *p = malloc(cap * sizeof(*p));
        if (p == NULL) return false;
        for (size_t i = 0; i < n->sent_n; i++) p[i] = n->sent[(n->sent_head + i) % n->sent_cap];
        free(n->sent);
        n->sent = p;
        n->sent_cap = cap;
        n->sent_head = 0;
    }
    n->sent[(n->sent_head + n->sent_n++) % n->sent_cap] = t;
    return true;
}

static void flush_if_idle(struct store *s);

static void node_replied(const redisAsyncContext *ac) {
    struct node *n = ac->data;
    if (n->sent_n == 0) return;
    n->sent_head = (n->sent_head + 1) % n->sent_cap;
    n->sent_n--;
    if (n->writes_owed > 0 && --n->writes_owed == 0) flush_if_idle(n->store);
}

/* ---- connections ------------------------------------------------------- */

static void schedule_reconnect(struct node *n) {
    if (n->state == CONN_UP) metrics_redis_connected(false, false);
    n->ac = NULL;
    n->state = CONN_DOWN;
    n->sent_n = 0;
    n->writes_owed = 0;
    flush_if_idle(n->store);
    if (n->store->closing) return;
    struct timeval tv = ms_tv(n->backoff_ms);
    evtimer_add(n->retry_timer, &tv);
    n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
    request_refresh(n->store);
}

static void connect_failed(struct node *n, const char *why) {
    metrics_redis_error(REDIS_ERR_CONNECT);
    log_repeated(LOG_WARN, "redis: failed connection attempts",
                 "redis: cannot connect to %s:%d: %s (retrying every %d ms)", n->addr.host,
                 n->addr.port, why, BACKOFF_MAX_MS);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    struct node *n = ac->data;
    if (status != REDIS_OK) {
        connect_failed(n, ac->errstr);
        schedule_reconnect(n); /* hiredis frees the context after this */
        return;
    }
    log_info("redis: connected to %s:%d", n->addr.host, n->addr.port);
    n->state = CONN_UP;
    n->backoff_ms = BACKOFF_MIN_MS;
    metrics_redis_connected(true, n->ever_up);
    n->ever_up = true;
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    struct node *n = ac->data;
    if (status != REDIS_OK)
        log_repeated(LOG_WARN, "redis: lost connections", "redis: connection to %s:%d lost: %s",
                     n->addr.host, n->addr.port, ac->errstr);
    if (n->ac == ac) schedule_reconnect(n);
}

/* Sends one command on n's connection at time `now` (the caller's clock
 * read, shared by every command of its turn); false if it could not be
 * sent. The command is written in RESP here (resp.h), on the stack unless
 * it is large, and hiredis only appends the bytes to its output buffer. */
static bool node_send(struct node *n, long long now, redisCallbackFn *fn, void *privdata,
                      int argc, const char **argv, const size_t *argvlen) {
    if (n->ac == NULL || !ring_push(n, now)) return false;
    char stack[SEND_STACK_BYTES];
    size_t len = resp_command_size(argc, argv, argvlen);
    char *cmd = len <= sizeof(stack) ? stack : malloc(len);
    int rc = REDIS_ERR;
    if (cmd != NULL) {
        resp_command_write(cmd, argc, argv, argvlen);
        rc = redisAsyncFormattedCommand(n->ac, fn, privdata, cmd, len);
        if (cmd != stack) free(cmd);
    }
    if (rc != REDIS_OK) {
        n->sent_n--;
        return false;
    }
    return true;
}

/* AUTH and SELECT failures leave the connection useless: drop it. */
static void on_handshake_reply(redisAsyncContext *ac, void *r, void *privdata) {
    const redisReply *reply = r;
    (void)privdata;
    node_replied(ac);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        struct node *n = ac->data;
        metrics_redis_error(REDIS_ERR_CONNECT);
        log_repeated(LOG_ERROR, "redis: refused handshakes",
                     "redis: %s:%d refused the handshake (check the credentials of --redis-url): "
                     "%s",
                     n->addr.host, n->addr.port, reply->str);
        redisAsyncDisconnect(ac);
    }
}

static void send_handshake(struct node *n, long long now) {
    const struct redis_endpoint *ep = &n->store->ep;
    if (ep->password[0] != '\0') {
        bool user = ep->username[0] != '\0';
        const char *argv[] = {"AUTH", user ? ep->username : ep->password, ep->password};
        size_t len[] = {4, strlen(argv[1]), strlen(argv[2])};
        node_send(n, now, on_handshake_reply, NULL, user ? 3 : 2, argv, len);
    }
    if (ep->db != 0) {
        char db[16];
        const char *argv[] = {"SELECT", db};
        size_t len[] = {6, (size_t)snprintf(db, sizeof(db), "%d", ep->db)};
        node_send(n, now, on_handshake_reply, NULL, 2, argv, len);
    }
}

static void connect_now(struct node *n) {
    n->tried = true;
    redisAsyncContext *ac = redisAsyncConnect(n->addr.host, n->addr.port);
    if (ac == NULL || ac->err) {
        connect_failed(n, ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        schedule_reconnect(n);
        return;
    }
    ac->data = n;
    reply_reuse_attach(ac->c.reader);
    if (redis_libevent_attach(ac, n->store->base) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_reconnect(n);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    n->ac = ac;
    n->state = CONN_CONNECTING;
    n->connect_started_ms = clock_monotonic_ms();
    send_handshake(n, n->connect_started_ms);
}

static void on_retry(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    connect_now(arg);
}

/* A node that was never tried connects on first use. */
static bool node_ready(struct node *n) {
    if (n->ac == NULL && !n->tried && !n->store->closing) connect_now(n);
    return n->ac != NULL;
}

/* Drops the connection; every command in flight on it fails. */
static void drop_connection(struct node *n) {
    redisAsyncContext *ac = n->ac;
    if (ac == NULL) return;
    n->ac = NULL;
    redisAsyncFree(ac);
    schedule_reconnect(n);
}

static struct node *node_new(struct store *s, const struct cluster_addr *addr) {
    if (s->n_nodes == MAX_NODES) return NULL;
    struct node *n = calloc(1, sizeof(*n));
    if (n == NULL) return NULL;
    n->store = s;
    n->addr = *addr;
    n->backoff_ms = BACKOFF_MIN_MS;
    n->retry_timer = evtimer_new(s->base, on_retry, n);
    if (n->retry_timer == NULL) {
        free(n);
        return NULL;
    }
    s->nodes[s->n_nodes++] = n;
    return n;
}

static void node_free(struct node *n) {
    event_free(n->retry_timer);
    free(n->sent);
    free(n);
}

/* Closes a node with nothing in flight (so no callback runs for it) and
 * frees it; the caller takes it out of s->nodes. */
static void node_retire(struct node *n) {
    log_info("redis: %s:%d serves no slot any more: connection closed", n->addr.host,
             n->addr.port);
    if (n->state == CONN_UP) metrics_redis_connected(false, false);
    evtimer_del(n->retry_timer);
    redisAsyncContext *ac = n->ac;
    n->ac = NULL; /* on_disconnect, if hiredis calls it, then leaves n alone */
    if (ac != NULL) redisAsyncFree(ac);
    node_free(n);
}

/* The node at addr (an empty host: `from`'s), made if new. */
static struct node *node_at(struct store *s, const struct cluster_addr *addr,
                            const struct node *from) {
    struct cluster_addr a = *addr;
    if (a.host[0] == '\0') memcpy(a.host, from->addr.host, sizeof(a.host));
    for (size_t i = 0; i < s->n_nodes; i++) {
        struct node *n = s->nodes[i];
        if (n->addr.port == a.port && strcmp(n->addr.host, a.host) == 0) return n;
    }
    return node_new(s, &a);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg) {
    struct store *s = arg;
    (void)fd;
    (void)what;
    long long now = clock_monotonic_ms();
    for (size_t i = 0; i < s->n_nodes; i++) {
        struct node *n = s->nodes[i];
        bool stuck_command = n->sent_n > 0 && now - n->sent[n->sent_head] > s->timeout_ms;
        bool stuck_connect = n->state == CONN_CONNECTING
                          && now - n->connect_started_ms > s->timeout_ms;
        if (!stuck_command && !stuck_connect) continue;
        metrics_redis_error(REDIS_ERR_TIMEOUT);
        log_repeated(LOG_WARN, "redis: timeouts",
                     "redis: no answer from %s:%d within %d ms, reconnecting", n->addr.host,
                     n->addr.port, s->timeout_ms);
        drop_connection(n);
    }
    log_repeated_flush();
}

/* ---- the slot map (cluster) -------------------------------------------- */

static void start_refresh(struct store *s);

/* Drops the nodes the new map left without a slot (an old master after a
 * failover, a pod's old address), unless they are seeds, have a command in
 * flight (its reply, a MOVED maybe, is still to come) or are `from`, whose
 * reply is being read. So addresses cannot pile up to MAX_NODES through
 * churn, and a dead one is not reconnected to forever. Between send
 * rounds no other pointer to a node outlives the call that made it. */
static void retire_unmapped(struct store *s, const struct node *from) {
    size_t kept = 0;
    for (size_t i = 0; i < s->n_nodes; i++) {
        struct node *n = s->nodes[i];
        if (n->mapped || n->seed || n->sent_n > 0 || n == from) s->nodes[kept++] = n;
        else node_retire(n);
    }
    s->n_nodes = kept;
    s->refresh_next %= kept;
}

static void apply_map(struct store *s, const struct node *from, const struct cluster_range *r,
                      size_t n) {
    memset(s->slots, 0, CLUSTER_SLOTS * sizeof(*s->slots));
    for (size_t i = 0; i < s->n_nodes; i++) s->nodes[i]->mapped = false;
    size_t covered = 0;
    for (size_t i = 0; i < n; i++) {
        struct node *owner = node_at(s, &r[i].master, from);
        if (owner == NULL) continue;
        owner->mapped = true;
        node_ready(owner);
        for (unsigned slot = r[i].first; slot <= r[i].last; slot++) s->slots[slot] = owner;
        covered += r[i].last - r[i].first + 1;
    }
    retire_unmapped(s, from);
    if (!s->have_map)
        log_info("redis: cluster slot map from %s:%d: %zu ranges, %zu of %d slots served",
                 from->addr.host, from->addr.port, n, covered, CLUSTER_SLOTS);
    s->have_map = true;
}

static void on_slots_reply(redisAsyncContext *ac, void *r, void *privdata) {
    const redisReply *reply = r;
    struct node *from = ac->data;
    struct store *s = from->store;
    (void)privdata;
    node_replied(ac);
    s->refreshing = false;
    if (s->closing) return;
    struct cluster_range *ranges = NULL;
    size_t n = 0;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
        ranges = malloc((reply->elements ? reply->elements : 1) * sizeof(*ranges));
    if (ranges != NULL && cluster_slots_parse(reply, ranges, reply->elements, &n)) {
        apply_map(s, from, ranges, n);
    } else {
        log_repeated(LOG_WARN, "redis: failed slot map reads",
                     "redis: cannot read the slot map from %s:%d: %s", from->addr.host,
                     from->addr.port,
                     reply == NULL ? "no connection"
                     : reply->type == REDIS_REPLY_ERROR ? reply->str : "malformed reply");
        s->refresh_again = true; /* from the next node */
    }
    free(ranges);
    if (s->refresh_again) request_refresh(s);
}

static void on_refresh_timer(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    request_refresh(arg);
}

/* Asks the next node (seeds and masters in turn) for the slot map. */
static void start_refresh(struct store *s) {
    s->refresh_again = false;
    s->refresh_ms = clock_monotonic_ms();
    static const char *argv[] = {"CLUSTER", "SLOTS"};
    static const size_t len[] = {7, 5};
    for (size_t k = 0; k < s->n_nodes; k++) {
        struct node *n = s->nodes[(s->refresh_next + k) % s->n_nodes];
        if (!node_ready(n)) continue;
        s->refresh_next = (s->refresh_next + k + 1) % s->n_nodes;
        if (node_send(n, s->refresh_ms, on_slots_reply, NULL, 2, argv, len)) {
            s->refreshing = true;
            return;
        }
    }
    s->refresh_next = (s->refresh_next + 1) % s->n_nodes;
    s->refresh_again = true; /* no node to ask: try again later */
    struct timeval tv = ms_tv(REFRESH_MIN_MS);
    evtimer_add(s->refresh_timer, &tv);
}

/* At most one CLUSTER SLOTS in flight, and one per REFRESH_MIN_MS. */
static void request_refresh(struct store *s) {
    if (!s->cluster || s->closing) return;
    if (s->refreshing) {
        s->refresh_again = true;
        return;
    }
    long long since = clock_monotonic_ms() - s->refresh_ms;
    if (since < REFRESH_MIN_MS) {
        if (!evtimer_pending(s->refresh_timer, NULL)) {
            struct timeval tv = ms_tv((int)(REFRESH_MIN_MS - since));
            evtimer_add(s->refresh_timer, &tv);
        }
        return;
    }
    start_refresh(s);
}

/* Any node that is up (for commands without a key, or slots not mapped
 * yet: a wrong node answers MOVED). */
static struct node *any_node(struct store *s) {
    for (size_t i = 0; i < s->n_nodes; i++) {
        if (s->nodes[i]->state == CONN_UP) return s->nodes[i];
    }
    return s->nodes[0];
}

static struct node *route(struct store *s, int argc, const char *const *argv,
                          const size_t *argvlen) {
    if (!s->cluster) return s->nodes[0];
    if (argc < 2) return any_node(s);
    struct node *n = s->slots[cluster_keyslot(argv[1], argvlen[1])];
    if (n != NULL) return n;
    request_refresh(s);
    return any_node(s);
}

/* ---- replies ----------------------------------------------------------- */

static void release(struct store_batch *b) {
    if (--b->awaiting == 0) b->on_done(b, b->status);
}

static void set_error(struct store_batch *b, const char *code, size_t len) {
    if (b->status == STORE_OK) b->status = STORE_ERROR;
    if (b->error_code[0] != '\0') return;
    if (len >= sizeof(b->error_code)) len = sizeof(b->error_code) - 1;
    memcpy(b->error_code, code, len);
    b->error_code[len] = '\0';
}

static size_t first_word(const char *s) {
    return strcspn(s, " ");
}

/* One reply (NULL: the connection is gone) to command `index` of b
 * (NO_INDEX: a merged command, or a WAIT). */
static void account(struct store_batch *b, size_t index, const redisReply *reply) {
    if (reply == NULL) {
        if (b->status != STORE_UNAVAILABLE) metrics_redis_error(REDIS_ERR_UNAVAILABLE);
        b->status = STORE_UNAVAILABLE;
    } else if (reply->type == REDIS_REPLY_ERROR) {
        set_error(b, reply->str, first_word(reply->str));
    } else if (index != NO_INDEX && b->on_reply != NULL && b->status == STORE_OK) {
        b->on_reply(b, index, reply);
    }
    release(b);
}

/* Once per error reply Redis sent (a merged command's error fails several
 * batches, but it is one error). */
static void note_error_reply(const redisReply *reply) {
    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) return;
    size_t len = first_word(reply->str);
    char code[16], kind[LOG_KIND_MAX];
    snprintf(code, sizeof(code), "%.*s", (int)len, reply->str);
    metrics_redis_error(REDIS_ERR_REPLY);
    metrics_redis_error_reply(code);
    snprintf(kind, sizeof(kind), "redis: %s error replies", code);
    log_repeated(LOG_ERROR, kind, "redis: command failed: %s", reply->str);
}

/* A combinable batch shows on_reply only its tagged commands (batch.h). */
static void settle_cmd(struct store_cmd *c, const redisReply *reply) {
    struct store_batch *b = c->batch;
    account(b, !b->combinable || c->tag != 0 ? (size_t)(c - b->cmds) : NO_INDEX, reply);
}

/* A merged command's reply counts once for every original command in it. */
static void settle_slot(struct combine_slot *slot, const redisReply *reply) {
    struct combine_plan *plan = slot->plan;
    for (size_t i = 0; i < slot->n_deps; i++)
        account(plan->deps[slot->first_dep + i], plan->dep_index[slot->first_dep + i], reply);
    if (--plan->pending == 0) free(plan);
}

/* ---- durable acknowledgements (WAIT) ------------------------------------ */

static bool wants_wait(const struct store *s, const struct store_batch *b) {
    return s->wait_replicas > 0 && b->combinable;
}

/* A send round: the commands of some batches; `cap` bounds the batches
 * that any one node's WAIT may need to answer. */
static void round_begin(struct store *s, size_t cap) {
    s->n_round = 0;
    s->round_cap = cap;
}

/* Batches deps[0..n) wrote to node: they await its WAIT. */
static void round_note(struct store *s, struct node *node, struct store_batch **deps, size_t n) {
    struct wait_group *g = node->wait;
    if (g == NULL) {
        g = malloc(sizeof(*g) + s->round_cap * sizeof(g->deps[0]));
        if (g == NULL) {
            /* Cannot confirm: the batches fail (their commands were sent). */
            for (size_t i = 0; i < n; i++) set_error(deps[i], "WAIT", 4);
            return;
        }
        g->n = 0;
        g->cap = s->round_cap;
        node->wait = g;
        s->round[s->n_round++] = node;
    }
    for (size_t i = 0; i < n && g->n < g->cap; i++) {
        /* A batch already last in the group needs the reply only once. */
        if (g->n > 0 && g->deps[g->n - 1] == deps[i]) continue;
        g->deps[g->n++] = deps[i];
        deps[i]->awaiting++;
    }
}

static void settle_wait(struct store *s, struct wait_group *g, const redisReply *reply) {
    bool short_of = reply != NULL && reply->type == REDIS_REPLY_INTEGER
                 && reply->integer < s->wait_replicas;
    if (short_of) {
        metrics_redis_error_reply("WAIT");
        log_repeated(LOG_ERROR, "redis: unconfirmed writes (WAIT)",
                     "redis: WAIT: %lld of %d replicas confirmed the writes: the events fail",
                     reply->integer, s->wait_replicas);
    }
    for (size_t i = 0; i < g->n; i++) {
        if (short_of) set_error(g->deps[i], "WAIT", 4);
        account(g->deps[i], NO_INDEX, reply);
    }
    free(g);
}

static void on_wait_reply(redisAsyncContext *ac, void *r, void *privdata) {
    struct node *n = ac->data;
    node_replied(ac);
    note_error_reply(r);
    settle_wait(n->store, privdata, r);
}

/* Sends the round's WAITs, one per node written to, at time `now`. */
static void round_end(struct store *s, long long now) {
    struct node *nodes[MAX_NODES];
    size_t n = s->n_round;
    memcpy(nodes, s->round, n * sizeof(nodes[0]));
    s->n_round = 0;
    const char *argv[] = {"WAIT", s->wait_n, s->wait_ms};
    size_t len[] = {4, strlen(s->wait_n), strlen(s->wait_ms)};
    for (size_t i = 0; i < n; i++) {
        struct wait_group *g = nodes[i]->wait;
        nodes[i]->wait = NULL;
        if (!node_send(nodes[i], now, on_wait_reply, g, 3, argv, len)) settle_wait(s, g, NULL);
    }
}

/* ---- resending --------------------------------------------------------- */

static void resend_free(struct resend *rs) {
    if (rs->timer) event_free(rs->timer);
    free(rs);
}

static void settle_resend(struct resend *rs, const redisReply *reply) {
    if (rs->cmd) settle_cmd(rs->cmd, reply);
    else settle_slot(rs->slot, reply);
    resend_free(rs);
}

static void on_resend_reply(redisAsyncContext *ac, void *r, void *privdata);

static void on_asking_reply(redisAsyncContext *ac, void *r, void *privdata) {
    (void)r;
    (void)privdata;
    node_replied(ac);
}

static void resend_now(struct resend *rs) {
    struct store *s = rs->store;
    int argc;
    const char **argv;
    const size_t *len;
    if (rs->cmd) {
        struct store_batch *b = rs->cmd->batch;
        argc = rs->cmd->argc;
        argv = &b->argv[rs->cmd->first];
        len = &b->argvlen[rs->cmd->first];
    } else {
        argc = rs->slot->argc;
        argv = rs->slot->argv;
        len = rs->slot->argvlen;
    }
    struct node *n = rs->ask ? rs->ask : route(s, argc, argv, len);
    long long now = clock_monotonic_ms();
    bool asking = rs->ask != NULL;
    rs->ask = NULL;
    if (!node_ready(n)
        || (asking && !node_send(n, now, on_asking_reply, NULL, 1, (const char *[]){"ASKING"},
                                 (size_t[]){6}))
        || !node_send(n, now, on_resend_reply, rs, argc, argv, len)) {
        settle_resend(rs, NULL);
        return;
    }
    bool wait = rs->cmd ? wants_wait(s, rs->cmd->batch) : s->wait_replicas > 0;
    if (!wait) return;
    round_begin(s, rs->cmd ? 1 : rs->slot->n_deps);
    if (rs->cmd) round_note(s, n, &rs->cmd->batch, 1);
    else round_note(s, n, &rs->slot->plan->deps[rs->slot->first_dep], rs->slot->n_deps);
    round_end(s, now);
}

static void on_resend_timer(evutil_socket_t fd, short what, void *arg) {
    struct resend *rs = arg;
    (void)fd;
    (void)what;
    struct store *s = rs->store;
    if (rs->prev) rs->prev->next = rs->next;
    else s->waiting = rs->next;
    if (rs->next) rs->next->prev = rs->prev;
    resend_now(rs);
}

/* Resends after a backoff, if the batch's time budget allows. */
static bool resend_later(struct resend *rs, long long sent_ms) {
    struct store *s = rs->store;
    int delay = rs->backoff_ms ? rs->backoff_ms : RETRY_MIN_MS;
    rs->backoff_ms = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
    if (clock_monotonic_ms() + delay >= sent_ms + s->timeout_ms || s->closing) return false;
    if (rs->timer == NULL) rs->timer = evtimer_new(s->base, on_resend_timer, rs);
    struct timeval tv = ms_tv(delay);
    if (rs->timer == NULL || evtimer_add(rs->timer, &tv) != 0) return false;
    rs->prev = NULL;
    rs->next = s->waiting;
    if (s->waiting) s->waiting->prev = rs;
    s->waiting = rs;
    return true;
}

static bool starts_with(const char *s, const char *word) {
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

/* In a cluster, a MOVED, ASK, TRYAGAIN or CLUSTERDOWN reply to a command
 * (cmd or slot; rs if it was resent before) is taken over here: true if
 * the command was sent again or will be. */
static bool redirected(struct node *from, const redisReply *reply, struct store_cmd *cmd,
                       struct combine_slot *slot, struct resend *rs) {
    struct store *s = from->store;
    if (!s->cluster || reply == NULL || reply->type != REDIS_REPLY_ERROR || s->closing)
        return false;
    struct cluster_redirect to;
    bool moved_or_ask = cluster_redirect_parse(reply->str, reply->len, &to);
    bool later = starts_with(reply->str, "TRYAGAIN") || starts_with(reply->str, "CLUSTERDOWN");
    if (!moved_or_ask && !later) return false;
    if (rs != NULL && rs->sends >= MAX_RESENDS) return false;
    struct node *target = moved_or_ask ? node_at(s, &to.to, from) : NULL;
    if (moved_or_ask && target == NULL) return false;
    bool fresh = rs == NULL;
    if (fresh) {
        rs = calloc(1, sizeof(*rs));
        if (rs == NULL) return false;
        rs->store = s;
        rs->cmd = cmd;
        rs->slot = slot;
    }
    rs->sends++;
    if (later) {
        request_refresh(s);
        long long sent_ms = cmd ? cmd->batch->sent_ms : slot->plan->sent_ms;
        if (resend_later(rs, sent_ms)) return true;
        if (fresh) resend_free(rs);
        return false;
    }
    metrics_redis_redirect(to.ask);
    if (to.ask) {
        rs->ask = target;
    } else {
        s->slots[to.slot] = target;
        request_refresh(s);
    }
    log_repeated(LOG_INFO, to.ask ? "redis: ASK redirections" : "redis: MOVED redirections",
                 "redis: %s: slot %u is served by %s:%d", to.ask ? "ASK" : "MOVED", to.slot,
                 target->addr.host, target->addr.port);
    resend_now(rs);
    return true;
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata) {
    node_replied(ac);
    if (redirected(ac->data, r, privdata, NULL, NULL)) return;
    note_error_reply(r);
    settle_cmd(privdata, r);
}

static void on_combined_reply(redisAsyncContext *ac, void *r, void *privdata) {
    node_replied(ac);
    if (redirected(ac->data, r, NULL, privdata, NULL)) return;
    note_error_reply(r);
    settle_slot(privdata, r);
}

static void on_resend_reply(redisAsyncContext *ac, void *r, void *privdata) {
    struct resend *rs = privdata;
    node_replied(ac);
    if (redirected(ac->data, r, rs->cmd, rs->slot, rs)) return;
    note_error_reply(r);
    settle_resend(rs, r);
}

/* ---- sending ----------------------------------------------------------- */

/* Until release, a batch awaits one more reply than it has commands, so
 * that it cannot finish while it is being sent. */
static void begin(struct store_batch *b, long long now) {
    b->sent_ms = now;
    b->awaiting = b->n_cmds + 1;
}

static void send_now(struct store *s, struct store_batch *b) {
    long long now = clock_monotonic_ms();
    begin(b, now);
    bool wait = wants_wait(s, b);
    if (wait) round_begin(s, 1);
    for (size_t i = 0; i < b->n_cmds; i++) {
        struct store_cmd *c = &b->cmds[i];
        const char **argv = &b->argv[c->first];
        const size_t *len = &b->argvlen[c->first];
        struct node *n = route(s, c->argc, argv, len);
        if (!node_send(n, now, on_reply, c, c->argc, argv, len)) settle_cmd(c, NULL);
        else if (wait) round_note(s, n, &b, 1);
    }
    if (wait) round_end(s, now);
    release(b);
}

static void send_plan(struct store *s, struct combine_plan *plan, struct store_batch **batches,
                      size_t n) {
    long long now = clock_monotonic_ms();
    for (size_t i = 0; i < n; i++) begin(batches[i], now);
    plan->sent_ms = now;
    bool wait = s->wait_replicas > 0;
    if (wait) {
        size_t deps = 0;
        for (size_t i = 0; i < plan->n_slots; i++) deps += plan->slots[i].n_deps;
        round_begin(s, deps);
    }
    size_t slots = plan->n_slots; /* the plan may be freed in the loop */
    for (size_t i = 0; i < slots; i++) {
        struct combine_slot *slot = &plan->slots[i];
        struct node *node = route(s, slot->argc, slot->argv, slot->argvlen);
        if (wait) round_note(s, node, &plan->deps[slot->first_dep], slot->n_deps);
        if (!node_send(node, now, on_combined_reply, slot, slot->argc, slot->argv, slot->argvlen))
            settle_slot(slot, NULL);
    }
    if (wait) round_end(s, now);
    for (size_t i = 0; i < n; i++) release(batches[i]);
}

static void fail_batch(struct store_batch *b) {
    metrics_redis_error(REDIS_ERR_UNAVAILABLE);
    b->on_done(b, STORE_UNAVAILABLE);
}

static void fail_pending(struct store *s) {
    size_t n = s->n_pending;
    s->n_pending = 0;
    for (size_t i = 0; i < n; i++) fail_batch(s->pending[i]);
}

/* A single Redis that is not connected fails batches at once. */
static bool surely_down(const struct store *s) {
    return !s->cluster && s->nodes[0]->ac == NULL;
}

/* Group commit (see the top). */
static bool busy(const struct store *s) {
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i]->writes_owed > 0) return true;
    return false;
}

/* After a flush: every command a node owes a reply to now was sent by it
 * or before it. */
static void mark_writes_owed(struct store *s) {
    for (size_t i = 0; i < s->n_nodes; i++) s->nodes[i]->writes_owed = s->nodes[i]->sent_n;
}

static void flush_if_idle(struct store *s) {
    if (s->n_pending > 0 && !busy(s)) event_active(s->flush, EV_TIMEOUT, 0);
}

/* End of the loop's turn, or the last reply owed to the previous flush:
 * send every write-only batch that came in. The list is swapped out first,
 * so that batches queued by callbacks while sending wait for the next. */
static void on_flush(evutil_socket_t fd, short what, void *arg) {
    struct store *s = arg;
    (void)fd;
    (void)what;
    struct store_batch **list = s->pending;
    size_t n = s->n_pending, cap = s->pending_cap;
    s->pending = s->spare;
    s->pending_cap = s->spare_cap;
    s->n_pending = 0;
    s->spare = list;
    s->spare_cap = cap;

    struct combine_plan *plan = NULL;
    if (!surely_down(s) && n > 1) plan = combine_plan(s->combiner, list, n);
    if (plan != NULL) {
        send_plan(s, plan, list, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!surely_down(s)) send_now(s, list[i]);
            else fail_batch(list[i]);
        }
    }
    mark_writes_owed(s);
}

static bool queue_pending(struct store *s, struct store_batch *b) {
    if (s->n_pending == s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap * 2 : 64;
        struct store_batch **p = realloc(s->pending, cap * sizeof(*p));
        if (p == NULL) return false;
        s->pending = p;
        s->pending_cap = cap;
    }
    s->pending[s->n_pending++] = b;
    if ((s->n_pending == 1 && !busy(s)) || s->n_pending >= PENDING_MAX)
        event_active(s->flush, EV_TIMEOUT, 0);
    return true;
}

void store_send(struct store *s, struct store_batch *b) {
    b->status = STORE_OK;
    b->error_code[0] = '\0';
    if (b->overflow || b->n_cmds == 0) {
        log_error("redis: batch too large for its buffers");
        b->on_done(b, STORE_ERROR);
        return;
    }
    if (surely_down(s) || s->closing) {
        metrics_redis_error(REDIS_ERR_UNAVAILABLE);
        b->on_done(b, STORE_UNAVAILABLE);
        return;
    }
    if (b->combinable && queue_pending(s, b)) return;
    send_now(s, b);
}

void store_disconnect(struct store *s) {
    s->closing = true;
    if (s->refresh_timer) evtimer_del(s->refresh_timer);
    for (size_t i = 0; i < s->n_nodes; i++) {
        evtimer_del(s->nodes[i]->retry_timer);
        drop_connection(s->nodes[i]);
    }
    while (s->waiting != NULL) {
        struct resend *rs = s->waiting;
        s->waiting = rs->next;
        settle_resend(rs, NULL);
    }
    fail_pending(s);
}

/* ---- life -------------------------------------------------------------- */

static bool add_nodes(struct store *s, const struct config *cfg) {
    struct cluster_addr addrs[CLUSTER_MAX_SEEDS];
    size_t n = 1;
    if (s->cluster) {
        if (!cluster_seeds_parse(cfg->redis_cluster, addrs, CLUSTER_MAX_SEEDS, &n)) return false;
        s->slots = calloc(CLUSTER_SLOTS, sizeof(*s->slots));
        s->refresh_timer = evtimer_new(s->base, on_refresh_timer, s);
        if (s->slots == NULL || s->refresh_timer == NULL) return false;
    } else {
        snprintf(addrs[0].host, sizeof(addrs[0].host), "%s", cfg->redis.host);
        addrs[0].port = cfg->redis.port;
    }
    for (size_t i = 0; i < n; i++) {
        struct node *node = node_new(s, &addrs[i]);
        if (node == NULL) return false;
        node->seed = true;
    }
    return true;
}

struct store *store_new(struct event_base *base, const struct config *cfg) {
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) return NULL;
    s->base = base;
    s->ep = cfg->redis;
    s->timeout_ms = cfg->redis_timeout_ms;
    s->cluster = cfg->redis_cluster[0] != '\0';
    s->wait_replicas = cfg->redis_wait_replicas;
    snprintf(s->wait_n, sizeof(s->wait_n), "%d", s->wait_replicas);
    snprintf(s->wait_ms, sizeof(s->wait_ms), "%d", s->timeout_ms / 2 > 0 ? s->timeout_ms / 2 : 1);
    s->watchdog = event_new(base, -1, EV_PERSIST, on_watchdog, s);
    s->flush = event_new(base, -1, 0, on_flush, s);
    s->combiner = combiner_new();
    /* A stuck round trip is failed within 1.1 times the timeout. */
    int tick_ms = s->timeout_ms / 10 > 0 ? s->timeout_ms / 10 : 1;
    struct timeval tick = ms_tv(tick_ms);
    if (s->watchdog == NULL || s->flush == NULL || s->combiner == NULL
        || event_add(s->watchdog, &tick) != 0 || !add_nodes(s, cfg)) {
        store_free(s);
        return NULL;
    }
    if (s->cluster) start_refresh(s);
    else connect_now(s->nodes[0]);
    return s;
}

void store_free(struct store *s) {
    store_disconnect(s);
    for (size_t i = 0; i < s->n_nodes; i++) node_free(s->nodes[i]);
    if (s->refresh_timer) event_free(s->refresh_timer);
    if (s->watchdog) event_free(s->watchdog);
    if (s->flush) event_free(s->flush);
    combiner_free(s->combiner);
    free(s->slots);
    free(s->pending);
    free(s->spare);
    free(s);
}

/* ---- the start-up check for WAIT --------------------------------------- */

enum store_probe store_probe_wait(const struct config *cfg, char *why, size_t cap) {
    struct cluster_addr seeds[CLUSTER_MAX_SEEDS];
    size_t n = 1;
    if (cfg->redis_cluster[0] == '\0') {
        snprintf(seeds[0].host, sizeof(seeds[0].host), "%s", cfg->redis.host);
        seeds[0].port = cfg->redis.port;
    } else if (!cluster_seeds_parse(cfg->redis_cluster, seeds, CLUSTER_MAX_SEEDS, &n)) {
        snprintf(why, cap, "malformed --redis-cluster");
        return STORE_PROBE_UNREACHABLE;
    }
    snprintf(why, cap, "no seed answered");
    for (size_t i = 0; i < n; i++) {
        redisContext *c = redis_sync_connect(seeds[i].host, seeds[i].port, &cfg->redis,
                                             cfg->redis_timeout_ms, why, cap);
        if (c == NULL) continue;
        redisReply *r = redisCommand(c, "WAIT 0 0");
        /* twemproxy answers an error, or closes the connection. */
        enum store_probe result = STORE_PROBE_OK;
        if (r == NULL && c->err != REDIS_ERR_EOF) {
            snprintf(why, cap, "%s:%d: %s", seeds[i].host, seeds[i].port, c->errstr);
            result = STORE_PROBE_UNREACHABLE;
        } else if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
            snprintf(why, cap, "%s:%d answered WAIT with %s", seeds[i].host, seeds[i].port,
                     r == NULL                        ? "a closed connection"
                     : r->type == REDIS_REPLY_ERROR ? r->str
                                                    : "no number");
            result = STORE_PROBE_UNSUPPORTED;
        }
        if (r) freeReplyObject(r);
        redisFree(c);
        return result;
    }
    return STORE_PROBE_UNREACHABLE;
}
