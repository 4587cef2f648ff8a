/* params.c -- parameter table, form decoding and value rules; see params.h.
 *
 * Decoding works in place: a decoded value is never longer than its encoded
 * form, so the pipeline hands us its own copy of the query string or body
 * and the values end up as NUL-terminated strings inside it, with no
 * allocation. A percent-encoded NUL stays in the value (its length is kept
 * apart from the terminator) so that the control-character rule sees it. */
#include "params.h"

#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "utf8.h"

enum value_rule {
    RULE_TEXT,      /* printable UTF-8 */
    RULE_VERSION,   /* digits separated by single dots */
    RULE_PLATFORM,  /* letters, digits, '.', '_', '-' */
    RULE_COUNTRY,   /* ISO 3166-1 alpha-2 */
    RULE_DATE,      /* YYYY-MM-DD, a real date */
    RULE_CHOICE,    /* one of `choices` */
    RULE_FLAG,      /* 1, 0, true or false */
    RULE_INTEGER,   /* a whole number from `min` to `max` */
    RULE_ASCII,     /* printable ASCII, space included */
    RULE_BASE64URL, /* A-Z a-z 0-9 '-' '_' (a tracking token, track_token.h) */
};

struct param_spec {
    const char *name;
    size_t max_len;
    enum value_rule rule;
    const char *const *choices;   /* RULE_CHOICE, NULL-terminated */
    const char *problem;          /* RULE_CHOICE and RULE_INTEGER: what is wrong */
    long min, max;                /* RULE_INTEGER */
};

static const char *const intervals[] = {"day", NULL};
/* The names of dimension.c's table, in its order (a unit test checks). */
static const char *const dimensions[] = {"username", "sdk", "country", "platform", NULL};
/* The metrics with top lists (dimension.h), in its order. */
static const char *const metrics[] = {"impressions", "ad_requests", "completes", "clicks", NULL};
/* The pixel events of GET /t (track_token.h's names). */
static const char *const pixel_events[] = {"impression", "start", "firstQuartile", "midpoint",
                                           "thirdQuartile", "complete", "click", NULL};

#define SPEC(n, len, r) {.name = (n), .max_len = (len), .rule = (r)}
#define CHOICE(n, len, list, why) \
    {.name = (n), .max_len = (len), .rule = RULE_CHOICE, .choices = (list), .problem = (why)}

static const struct param_spec specs[PARAM__COUNT] = {
    [PARAM_SDK_VERSION] = SPEC("sdk_version", PARAM_SDK_VERSION_MAX, RULE_VERSION),
    [PARAM_SESSION_ID] = SPEC("session_id", PARAM_SESSION_ID_MAX, RULE_TEXT),
    [PARAM_PLATFORM] = SPEC("platform", PARAM_PLATFORM_MAX, RULE_PLATFORM),
    [PARAM_USERNAME] = SPEC("username", PARAM_USERNAME_MAX, RULE_TEXT),
    [PARAM_COUNTRY_CODE] = SPEC("country_code", PARAM_COUNTRY_CODE_MAX, RULE_COUNTRY),
    [PARAM_SDK] = SPEC("sdk", 32, RULE_VERSION),
    [PARAM_COUNTRY] = SPEC("country", 2, RULE_COUNTRY),
    [PARAM_FROM] = SPEC("from", 10, RULE_DATE),
    [PARAM_TO] = SPEC("to", 10, RULE_DATE),
    [PARAM_INTERVAL] = CHOICE("interval", 16, intervals, "must be day"),
    [PARAM_UNIQUE_SESSIONS] = SPEC("unique_sessions", 5, RULE_FLAG),
    [PARAM_DIMENSION] = CHOICE("dimension", 16, dimensions,
                               "must be one of username, sdk, country, platform"),
    [PARAM_METRIC] = CHOICE("metric", 16, metrics,
                                 "must be impressions, ad_requests, completes or clicks"),
    [PARAM_LIMIT] = {.name = "limit", .max_len = 3, .rule = RULE_INTEGER,
                     .problem = "must be a whole number from 1 to 100", .min = 1, .max = 100},
    [PARAM_EVENT_ID] = SPEC("event_id", 64, RULE_ASCII),
    [PARAM_NO_FILLS] = SPEC("no_fills", 5, RULE_FLAG),
    [PARAM_VIDEO] = SPEC("video", 5, RULE_FLAG),
    [PARAM_INVALID] = SPEC("invalid", 5, RULE_FLAG),
    [PARAM_K] = SPEC("k", PARAM_TOKEN_MAX, RULE_BASE64URL),
    [PARAM_E] = CHOICE("e", 16, pixel_events,
                       "must be impression, start, firstQuartile, midpoint, thirdQuartile, "
                       "complete or click"),
};

const char *param_name(enum param_id id) {
    return specs[id].name;
}

/* ---- decoding ---------------------------------------------------------- */

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) in place; returns the decoded length or -1 on a bad
 * escape. Writes a terminating NUL, which fits because the input is always
 * followed by a separator or the caller's terminator. */
static long url_decode(char *s, size_t len) {
    size_t in = 0, out = 0;
    while (in < len) {
        char c = s[in++];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (len - in < 2) return -1;
            int hi = hex_value(s[in]), lo = hex_value(s[in + 1]);
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi * 16 + lo);
            in += 2;
        }
        s[out++] = c;
    }
    s[out] = '\0';
    return (long)out;
}

static int lookup_param(const char *key, size_t len) {
    for (int id = 0; id < PARAM__COUNT; id++) {
        if (strlen(specs[id].name) == len && memcmp(specs[id].name, key, len) == 0)
            return id;
    }
    return -1;
}

static enum form_status parse_pair(char *pair, size_t len, struct params *p) {
    char *eq = memchr(pair, '=', len);
    size_t key_len = eq ? (size_t)(eq - pair) : len;
    char *value = eq ? eq + 1 : pair + len;
    size_t value_len = eq ? len - key_len - 1 : 0;

    long key_out = url_decode(pair, key_len);
    long value_out = url_decode(value, value_len);
    if (key_out < 0 || value_out < 0) return FORM_BAD_ESCAPE;

    return params_add(p, pair, (size_t)key_out, value, (size_t)value_out);
}

enum form_status params_add(struct params *p, const char *key, size_t key_len, char *value,
                            size_t value_len) {
    if (++p->pairs > PARAMS_MAX_PAIRS) return FORM_TOO_MANY;
    int id = lookup_param(key, key_len);
    if (id >= 0 && value_len > 0 && p->v[id].data == NULL) {
        p->v[id].data = value;
        p->v[id].len = value_len;
        p->v[id].order = p->pairs;
    }
    return FORM_OK;
}

enum form_status form_parse(char *in, size_t len, struct params *p) {
    size_t start = 0;
    while (start < len) {
        char *amp = memchr(in + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - in) : len;
        if (end > start) {
            /* Counted before decoding, so the 65th pair is refused as such. */
            if (p->pairs >= PARAMS_MAX_PAIRS) return FORM_TOO_MANY;
            enum form_status st = parse_pair(in + start, end - start, p);
            if (st != FORM_OK) return st;
        }
        start = end + 1;
    }
    return FORM_OK;
}

/* ---- value rules ------------------------------------------------------- */

static bool is_control(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static const char *check_text(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(u + i, len - i, &cp);
        if (n == 0) return "must be valid UTF-8";
        if (is_control(cp)) return "must not contain control characters";
        i += n;
    }
    return NULL;
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *check_version(const char *s, size_t len) {
    bool digit_before = false;
    for (size_t i = 0; i < len; i++) {
        if (is_digit(s[i])) {
            digit_before = true;
        } else if (s[i] == '.' && digit_before && i + 1 < len) {
            digit_before = false;
        } else {
            return "must be digits separated by single dots, e.g. 4.12.3";
        }
    }
    return NULL;
}

static const char *check_platform(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '_' && c != '-')
            return "may only contain letters, digits, '.', '_' and '-'";
    }
    return NULL;
}

static const char *check_country(char *s, size_t len) {
    if (len != 2 || !country_code_known(s))
        return "must be a two-letter ISO 3166-1 alpha-2 country code";
    s[0] = (char)(s[0] & ~0x20);
    s[1] = (char)(s[1] & ~0x20);
    return NULL;
}

static const char *check_date(const char *s, size_t len) {
    long day;
    if (!day_parse(s, len, &day))
        return "must be a UTC date as YYYY-MM-DD, from 1970-01-01 to 9999-12-31";
    return NULL;
}

static const char *check_choice(const struct param_spec *spec, const char *s, size_t len) {
    for (const char *const *c = spec->choices; *c != NULL; c++) {
        if (strlen(*c) == len && memcmp(*c, s, len) == 0) return NULL;
    }
    return spec->problem;
}

/* Rewrites a flag as "1" or "0" (there is always room: "true" is longer). */
static const char *check_flag(struct param_value *v) {
    bool yes = (v->len == 1 && v->data[0] == '1') || (v->len == 4 && memcmp(v->data, "true", 4) == 0);
    bool no = (v->len == 1 && v->data[0] == '0') || (v->len == 5 && memcmp(v->data, "false", 5) == 0);
    if (!yes && !no) return "must be 1, 0, true or false";
    v->data[0] = yes ? '1' : '0';
    v->data[1] = '\0';
    v->len = 1;
    return NULL;
}

static const char *check_integer(const struct param_spec *spec, const char *s, size_t len) {
    long v = 0;
    if (len == 0 || (s[0] == '0' && len > 1)) return spec->problem;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i])) return spec->problem;
        v = v * 10 + (s[i] - '0');
    }
    return v < spec->min || v > spec->max ? spec->problem : NULL;
}

static const char *check_ascii(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E) return "must be printable ASCII";
    }
    return NULL;
}

static const char *check_base64url(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-' && s[i] != '_')
            return "must be base64url (A-Z, a-z, 0-9, '-' and '_')";
    }
    return NULL;
}

/* Returns what is wrong with one value, or NULL if nothing is. */
static const char *check_value(enum param_id id, struct param_value *v) {
    const struct param_spec *spec = &specs[id];
    if (v->len > spec->max_len) {
        switch (spec->rule) {
        case RULE_COUNTRY: return "must be a two-letter ISO 3166-1 alpha-2 country code";
        case RULE_DATE: return check_date(v->data, v->len);
        case RULE_CHOICE: case RULE_INTEGER: return spec->problem;
        case RULE_FLAG: return "must be 1, 0, true or false";
        default: return "is too long";
        }
    }
    switch (spec->rule) {
    case RULE_TEXT: return check_text(v->data, v->len);
    case RULE_VERSION: return check_version(v->data, v->len);
    case RULE_PLATFORM: return check_platform(v->data, v->len);
    case RULE_COUNTRY: return check_country(v->data, v->len);
    case RULE_DATE: return check_date(v->data, v->len);
    case RULE_CHOICE: return check_choice(spec, v->data, v->len);
    case RULE_FLAG: return check_flag(v);
    case RULE_INTEGER: return check_integer(spec, v->data, v->len);
    case RULE_ASCII: return check_ascii(v->data, v->len);
    case RULE_BASE64URL: return check_base64url(v->data, v->len);
    }
    return NULL;
}

bool params_validate(struct params *p, uint32_t permitted, struct buf *msg) {
    bool ok = true;
    for (int id = 0; id < PARAM__COUNT; id++) {
        struct param_value *v = &p->v[id];
        if (!(permitted & PARAM_BIT(id)) || v->data == NULL) continue;
        const char *problem = check_value(id, v);
        if (problem == NULL) continue;
        buf_append_str(msg, ok ? "invalid parameters: " : "; ");
        buf_append_str(msg, specs[id].name);
        buf_append_char(msg, ' ');
        buf_append_str(msg, problem);
        if (strcmp(problem, "is too long") == 0)
            buf_printf(msg, " (at most %zu bytes)", specs[id].max_len);
        ok = false;
    }
    return ok;
}

void params_missing_message(uint32_t missing, struct buf *msg) {
    const char *sep = "";
    buf_append_str(msg, "following params are required [");
    for (int id = 0; id < PARAM__COUNT; id++) {
        if (!(missing & PARAM_BIT(id))) continue;
        buf_printf(msg, "%s'%s'", sep, specs[id].name);
        sep = ", ";
    }
    buf_append_char(msg, ']');
}

long params_integer(const struct params *p, enum param_id id, long fallback) {
    const struct param_value *v = &p->v[id];
    return v->data != NULL ? strtol(v->data, NULL, 10) : fallback;
}

bool params_any(const struct params *p, uint32_t mask) {
    for (int id = 0; id < PARAM__COUNT; id++) {
        if ((mask & PARAM_BIT(id)) && p->v[id].data != NULL) return true;
    }
    return false;
}

bool params_flag(const struct params *p, enum param_id id) {
    return p->v[id].data != NULL && p->v[id].data[0] == '1';
}

/* ---- countries --------------------------------------------------------- */

/* The 249 officially assigned ISO 3166-1 alpha-2 codes, grouped by first
 * letter: each group lists the second letters. */
static const char *const countries[26] = {
    "DEFGILMOQRSTUWXZ",      /* A */
    "ABDEFGHIJLMNOQRSTVWYZ", /* B */
    "ACDFGHIKLMNORUVWXYZ",   /* C */
    "EJKMOZ",                /* D */
    "CEGHRST",               /* E */
    "IJKMOR",                /* F */
    "ABDEFGHILMNPQRSTUWY",   /* G */
    "KMNRTU",                /* H */
    "DELMNOQRST",            /* I */
    "EMOP",                  /* J */
    "EGHIMNPRWYZ",           /* K */
    "ABCIKRSTUVY",           /* L */
    "ACDEFGHKLMNOPQRSTUVWXYZ", /* M */
    "ACEFGILOPRUZ",          /* N */
    "M",                     /* O */
    "AEFGHKLMNRSTWY",        /* P */
    "A",                     /* Q */
    "EOSUW",                 /* R */
    "ABCDEGHIJKLMNORSTVXYZ", /* S */
    "CDFGHJKLMNORTVWZ",      /* T */
    "AGMSYZ",                /* U */
    "ACEGINU",               /* V */
    "FS",                    /* W */
    "",                      /* X */
    "ET",                    /* Y */
    "AMW",                   /* Z */
};

bool country_code_known(const char *code) {
    char a = (char)(code[0] & ~0x20), b = (char)(code[1] & ~0x20);
    if (!is_alpha(code[0]) || !is_alpha(code[1])) return false;
    return strchr(countries[a - 'A'], b) != NULL;
}
