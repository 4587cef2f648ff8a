/* eventgen.c -- writes, as Redis protocol, exactly the commands that
 * adstats' event path sends for synthetic events (events.c builds them),
 * for `redis-cli --pipe`. bench/memory.sh uses it to load a million
 * distinct users into a Redis quickly.
 *
 *   eventgen FIRST COUNT KIND EPOCH_S [RETENTION_DAYS]
 *     users FIRST .. FIRST+COUNT-1, one event each: KIND is imp, ad or
 *     both (an ad request and an impression per user), at EPOCH_S. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

static void write_batch(const struct store_batch *b, FILE *out) {
    for (size_t i = 0; i < b->n_cmds; i++) {
        const struct store_cmd *c = &b->cmds[i];
        fprintf(out, "*%d\r\n", c->argc);
        for (int a = 0; a < c->argc; a++) {
            size_t len = b->argvlen[c->first + a];
            fprintf(out, "$%zu\r\n", len);
            fwrite(b->argv[c->first + a], 1, len, out);
            fputs("\r\n", out);
        }
    }
}

static void one(struct store_batch *b, enum event_type type, long user, long long now_ms,
                FILE *out) {
    static const char *const platforms[] = {"ios", "android", "web"};
    static const char *const countries[] = {"US", "DE", "FR", "JP", "BR", "IN", "GB", "NZ"};
    char query[256];
    snprintf(query, sizeof(query),
             "sdk_version=4.%ld.%ld&session_id=sess-%08ld&platform=%s&username=user-%08ld"
             "&country_code=%s",
             user % 5, user % 4, user, platforms[user % 3], user, countries[user % 8]);
    struct params p;
    memset(&p, 0, sizeof(p));
    form_parse(query, strlen(query), &p);
    store_batch_init(b, NULL, NULL);
    event_add_commands(b, type, &p, now_ms);
    if (b->overflow) {
        fprintf(stderr, "eventgen: batch overflow\n");
        exit(1);
    }
    write_batch(b, out);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: eventgen FIRST COUNT imp|ad|both EPOCH_S [RETENTION_DAYS]\n");
        return 2;
    }
    long first = atol(argv[1]), count = atol(argv[2]);
    const char *kind = argv[3];
    long long now_ms = atoll(argv[4]) * 1000;
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.retention_days = argc > 5 ? atoi(argv[5]) : 400;
    cfg.events_maxlen = 1000000;
    cfg.redis_timeout_ms = 500;
    events_configure(&cfg);

    static struct store_batch b;
    static char buffer[1 << 20];
    setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
    for (long u = first; u < first + count; u++) {
        if (strcmp(kind, "imp") != 0) one(&b, EVENT_AD_REQUEST, u, now_ms, stdout);
        if (strcmp(kind, "ad") != 0) one(&b, EVENT_IMPRESSION, u, now_ms, stdout);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
