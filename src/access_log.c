/* access_log.c -- the access log; see access_log.h. Lines are built in a
 * stack buffer (they only spill to the heap for very long paths) and
 * copied once onto the line writer's queue. */
#include "access_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "json.h"
#include "linewriter.h"
#include "log.h"

#define QUEUE_MAX 100000

static struct linewriter *writer;

bool access_log_open(const char *path) {
    if (path[0] == '\0') return true;
    writer = linewriter_open("access log", path, QUEUE_MAX);
    return writer != NULL;
}

bool access_log_enabled(void) {
    return writer != NULL;
}

static void append_client(struct buf *b, const struct sockaddr *sa) {
    char text[INET6_ADDRSTRLEN] = "";
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text));
    json_append_string(b, text, strlen(text));
}

static void append_params(struct buf *b, const struct params *p) {
    const char *sep = "";
    buf_append_char(b, '{');
    for (int id = 0; p != NULL && id < PARAM__COUNT; id++) {
        const struct param_value *v = &p->v[id];
        if (v->data == NULL) continue;
        buf_append_str(b, sep);
        json_append_string(b, param_name(id), strlen(param_name(id)));
        buf_append_str(b, ": ");
        json_append_string(b, v->data, v->len);
        sep = ", ";
    }
    buf_append_char(b, '}');
}

void access_log_format(struct buf *b, const struct access_entry *e) {
    char time[LOG_TIME_MAX];
    size_t time_len = log_time_now(time, sizeof(time));
    long long us = e->latency_us < 0 ? 0 : e->latency_us;
    buf_append_str(b, "{\"time\": ");
    json_append_string(b, time, time_len);
    buf_append_str(b, ", \"method\": ");
    json_append_string(b, e->method, strlen(e->method));
    buf_append_str(b, ", \"path\": ");
    json_append_string(b, e->path, strlen(e->path));
    char ms_frac[4] = {(char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10),
                       (char)('0' + us % 10), '\0'};
    buf_append_str(b, ", \"status\": ");
    buf_append_ll(b, e->status);
    buf_append_str(b, ", \"latency_ms\": ");
    buf_append_ll(b, us / 1000);
    buf_append_char(b, '.');
    buf_append_str(b, ms_frac);
    buf_append_str(b, ", \"bytes\": ");
    buf_append_ll(b, (long long)e->bytes);
    buf_append_str(b, ", \"client\": ");
    append_client(b, e->client);
    buf_append_str(b, ", \"params\": ");
    append_params(b, e->params);
    buf_append_str(b, "}\n");
}

void access_log_write(const struct access_entry *e) {
    if (writer == NULL) return;
    char storage[1024];
    struct buf b;
    buf_init_static(&b, storage, sizeof(storage));
    access_log_format(&b, e);
    if (!b.failed) linewriter_write(writer, b.data, b.len);
    buf_free(&b);
}

long access_log_dropped(void) {
    return writer ? linewriter_dropped(writer) : 0;
}

void access_log_close(void) {
    linewriter_close(writer);
    writer = NULL;
}
