/* vastmock -- a small event-driven mock VAST ad server for adstats tests.
 *
 * Usage:
 *   vastmock --port N [--bind ADDR] [--delay-ms D] [--help]
 *
 * What it serves
 * --------------
 * Any request to a non-control path (whatever the method) is an "ad request":
 * its receive time is logged and it is answered with the next entry of the
 * current scenario, or, once the scenario is used up, with a canned ~1 KB
 * VAST 3.0 document (default_vast.h) after the default delay (--delay-ms,
 * or POST /setdelay).
 *
 * The control paths answer at once, are never logged and never delayed:
 *
 *   POST /setscenario  [["BODY", STATUS, DELAY_MS], ...]  replaces the
 *                      remaining scenario and clears the request log.
 *                      BODY is sent as it is, any XML at all (an empty
 *                      <VAST/>, VAST 1.0...); a 204 or 304 goes without
 *                      one, as HTTP wants (evhttp drops it), so
 *                      ["", 204, 0] is an ad server's no-fill.
 *   POST /setdelay     {"delay_ms": N}  changes the default delay.
 *   GET  /requests     receive timestamps (ms since the epoch) of the ad
 *                      requests since the last scenario, in order.
 *   GET  /requests/detail  the same requests, in order, as objects:
 *                      {"uri": path and query as received, "user_agent",
 *                      "device_user_agent" (X-Device-User-Agent),
 *                      "forwarded_for" (X-Forwarded-For)}; a header that
 *                      was absent, or is not UTF-8, is null. Only the first
 *                      10000 requests of a scenario are kept in detail.
 *   GET  /healthz      {"status":"ok"}
 *
 * Design
 * ------
 * Everything runs on one thread inside one libevent loop; evhttp does the
 * HTTP/1.1 parsing and keep-alive, and delayed replies are timers, not
 * threads (reply.c). vastmock.h lists the files. This one reads the command
 * line, binds the socket with a deep backlog, and runs the loop until
 * SIGINT/SIGTERM; then everything, including in-flight delayed replies, is
 * released before exiting 0. A usage error exits 2. */
#include "vastmock.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/listener.h>
#include <event2/util.h>

#define DEFAULT_BIND "127.0.0.1"
#define LISTEN_BACKLOG 4096
#define MAX_BODY_SIZE (64 * 1024 * 1024)
#define EXIT_USAGE 2

/* Command line settings. */
struct config {
    const char *bind_addr;
    unsigned long port;
    unsigned long delay_ms;
};

/* ---- command line ---- */

/* Parses a whole decimal string in 0..max. */
static bool parse_ulong(const char *s, unsigned long max, unsigned long *out) {
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    char *end;
    unsigned long value = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || value > max) return false;
    *out = value;
    return true;
}

/* Turns a numeric IPv4/IPv6 address and a port into a socket address. */
static bool make_sockaddr(const char *addr, unsigned long port, struct sockaddr_storage *ss,
                          socklen_t *len) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (evutil_inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
        return true;
    }
    if (evutil_inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
        return true;
    }
    return false;
}

static void print_usage(FILE *out) {
    fprintf(out,
            "usage: vastmock --port N [--bind ADDR] [--delay-ms D] [--help]\n"
            "  --port N      TCP port to listen on (0 picks a free port)\n"
            "  --bind ADDR   numeric IPv4/IPv6 address (default %s)\n"
            "  --delay-ms D  default reply delay in ms (default 0, max %lu)\n"
            "control: POST /setscenario, POST /setdelay, GET /requests, "
            "GET /requests/detail, GET /healthz\n",
            DEFAULT_BIND, VASTMOCK_MAX_DELAY_MS);
}

enum args { ARGS_RUN, ARGS_HELP, ARGS_BAD };

static enum args usage_error(const char *what, const char *arg) {
    fprintf(stderr, "vastmock: %s%s%s (try --help)\n", what, arg != NULL ? ": " : "",
            arg != NULL ? arg : "");
    return ARGS_BAD;
}

/* The option getopt_long could not take (optopt, or the whole argument). */
static enum args unknown_option(char **argv) {
    if (optopt == 0) return usage_error("unknown option", argv[optind - 1]);
    char name[3] = {'-', (char)optopt, '\0'};
    return usage_error("unknown option", name);
}

static enum args parse_args(int argc, char **argv, struct config *cfg) {
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *cfg = (struct config){.bind_addr = DEFAULT_BIND};
    bool have_port = false;
    opterr = 0;
    for (int opt; (opt = getopt_long(argc, argv, ":h", options, NULL)) != -1;) {
        switch (opt) {
        case 'p':
            if (!parse_ulong(optarg, 65535, &cfg->port))
                return usage_error("--port must be an integer in 0..65535", optarg);
            have_port = true;
            break;
        case 'b':
            cfg->bind_addr = optarg;
            break;
        case 'd':
            if (!parse_ulong(optarg, VASTMOCK_MAX_DELAY_MS, &cfg->delay_ms))
                return usage_error("--delay-ms must be an integer in 0..3600000", optarg);
            break;
        case 'h':
            print_usage(stdout);
            return ARGS_HELP;
        case ':':
            return usage_error("option requires an argument", argv[optind - 1]);
        default:
            return unknown_option(argv);
        }
    }
    if (optind < argc) return usage_error("unexpected argument", argv[optind]);
    if (!have_port) return usage_error("--port is required", NULL);
    struct sockaddr_storage ss;
    socklen_t len;
    if (!make_sockaddr(cfg->bind_addr, cfg->port, &ss, &len))
        return usage_error("--bind must be a numeric IPv4 or IPv6 address", cfg->bind_addr);
    return ARGS_RUN;
}

/* ---- the process ---- */

/* Lets the process hold as many sockets as the hard limit allows. */
static void raise_fd_limit(void) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == lim.rlim_max) return;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        fprintf(stderr, "vastmock: warning: cannot raise fd limit: %s\n", strerror(errno));
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg) {
    (void)sig;
    (void)what;
    struct mock *mock = arg;
    if (event_base_loopbreak(mock->base) != 0)
        fprintf(stderr, "vastmock: cannot stop the event loop\n");
}

static bool watch_stop_signals(struct mock *mock) {
    mock->sigint_event = evsignal_new(mock->base, SIGINT, on_stop_signal, mock);
    mock->sigterm_event = evsignal_new(mock->base, SIGTERM, on_stop_signal, mock);
    return mock->sigint_event != NULL && mock->sigterm_event != NULL
        && evsignal_add(mock->sigint_event, NULL) == 0
        && evsignal_add(mock->sigterm_event, NULL) == 0;
}

static void mock_free(struct mock *mock) {
    /* Freeing the server closes every connection; their close callbacks
     * cancel the delayed replies still in flight. */
    if (mock->http != NULL) evhttp_free(mock->http);
    /* Defensive: nothing should be left once every connection is gone. */
    reply_drop_pending(mock);
    if (mock->sigint_event != NULL) event_free(mock->sigint_event);
    if (mock->sigterm_event != NULL) event_free(mock->sigterm_event);
    scenario_free(mock);
    if (mock->base != NULL) event_base_free(mock->base);
    *mock = (struct mock){0};
}

/* Everything but the socket; mock_free releases what was made, on failure too. */
static bool mock_init(struct mock *mock, const struct config *cfg) {
    *mock = (struct mock){.default_delay_ms = cfg->delay_ms};
    if (!scenario_init(mock)) return false;
    mock->base = event_base_new();
    if (mock->base == NULL || !watch_stop_signals(mock)) return false;
    mock->http = evhttp_new(mock->base);
    if (mock->http == NULL) return false;
    evhttp_set_max_body_size(mock->http, MAX_BODY_SIZE);
    evhttp_set_allowed_methods(mock->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD
                                               | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE
                                               | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE
                                               | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    return routes_register(mock);
}

/* Prints "vastmock listening on ADDR:PORT" for the bound socket. */
static bool announce_listener(struct evconnlistener *listener) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&ss, &len) != 0)
        return false;
    bool v6 = ss.ss_family == AF_INET6;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    const void *addr = v6 ? (const void *)&sin6->sin6_addr : (const void *)&sin->sin_addr;
    unsigned port = ntohs(v6 ? sin6->sin6_port : sin->sin_port);
    char host[INET6_ADDRSTRLEN];
    if (evutil_inet_ntop(ss.ss_family, addr, host, sizeof(host)) == NULL) return false;
    int rc = printf(v6 ? "vastmock listening on [%s]:%u\n" : "vastmock listening on %s:%u\n",
                    host, port);
    return rc >= 0 && fflush(stdout) == 0;
}

/* Binds with a deep accept backlog and hands the socket to evhttp. */
static bool mock_listen(struct mock *mock, const struct config *cfg) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (!make_sockaddr(cfg->bind_addr, cfg->port, &ss, &len)) return false;
    struct evconnlistener *listener = evconnlistener_new_bind(
        mock->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
        LISTEN_BACKLOG, (struct sockaddr *)&ss, (int)len);
    if (listener == NULL) {
        fprintf(stderr, "vastmock: cannot listen on %s:%lu: %s\n", cfg->bind_addr, cfg->port,
                strerror(errno));
        return false;
    }
    if (evhttp_bind_listener(mock->http, listener) == NULL) {
        evconnlistener_free(listener);
        fprintf(stderr, "vastmock: cannot attach listener to evhttp\n");
        return false;
    }
    if (!announce_listener(listener)) {
        fprintf(stderr, "vastmock: cannot report the listening address\n");
        return false;
    }
    return true;
}

/* Serves until a stop signal; the exit status. */
static int serve(const struct config *cfg) {
    struct mock mock;
    if (!mock_init(&mock, cfg)) {
        fprintf(stderr, "vastmock: initialisation failed\n");
        mock_free(&mock);
        return EXIT_FAILURE;
    }
    if (!mock_listen(&mock, cfg)) {
        mock_free(&mock);
        return EXIT_FAILURE;
    }
    int rc = event_base_dispatch(mock.base);
    mock_free(&mock);
    libevent_global_shutdown();
    if (rc != -1) return EXIT_SUCCESS;
    fprintf(stderr, "vastmock: event loop failed\n");
    return EXIT_FAILURE;
}

int main(int argc, char **argv) {
    struct config cfg;
    enum args args = parse_args(argc, argv, &cfg);
    if (args == ARGS_HELP) return EXIT_SUCCESS;
    if (args == ARGS_BAD) return EXIT_USAGE;
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "vastmock: cannot ignore SIGPIPE\n");
        return EXIT_FAILURE;
    }
    raise_fd_limit();
    return serve(&cfg);
}
