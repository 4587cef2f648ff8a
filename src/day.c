/* day.c -- UTC calendar days; see day.h.
 *
 * The conversions are Howard Hinnant's days_from_civil / civil_from_days,
 * which work in 400-year eras starting on March 1st so that the leap day is
 * the last day of the (shifted) year and needs no special case. */
#include "day.h"

long day_from_civil(int year, unsigned month, unsigned mday) {
    long y = (long)year - (month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                              /* [0, 399] */
    unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + mday - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   /* [0, 146096] */
    return era * 146097 + (long)doe - 719468;
}

void day_to_civil(long day, int *year, unsigned *month, unsigned *mday) {
    day += 719468;
    long era = (day >= 0 ? day : day - 146096) / 146097;
    unsigned doe = (unsigned)(day - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *mday = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)((long)yoe + era * 400 + (*month <= 2));
}

long day_of_epoch(long long epoch_s) {
    long long d = epoch_s / SECONDS_PER_DAY;
    if (epoch_s % SECONDS_PER_DAY < 0) d--; /* floor, for times before 1970 */
    return (long)d;
}

static bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(int year, unsigned month) {
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : len[month - 1];
}

/* Reads `n` decimal digits; false if any is not a digit. */
static bool read_digits(const char *s, int n, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool day_parse(const char *s, size_t len, long *day) {
    unsigned year, month, mday;
    if (len != DAY_ISO_LEN || s[4] != '-' || s[7] != '-') return false;
    if (!read_digits(s, 4, &year) || !read_digits(s + 5, 2, &month)
        || !read_digits(s + 8, 2, &mday))
        return false;
    if (year < 1970 || month < 1 || month > 12 || mday < 1
        || mday > days_in_month((int)year, month))
        return false;
    *day = day_from_civil((int)year, month, mday);
    return true;
}

static void put_digits(char *out, unsigned v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void day_format_iso(long day, char out[DAY_ISO_LEN + 1]) {
    int year;
    unsigned month, mday;
    day_to_civil(day, &year, &month, &mday);
    put_digits(out, (unsigned)year, 4);
    out[4] = '-';
    put_digits(out + 5, month, 2);
    out[7] = '-';
    put_digits(out + 8, mday, 2);
    out[DAY_ISO_LEN] = '\0';
}

void day_format_compact(long day, char out[DAY_COMPACT_LEN + 1]) {
    int year;
    unsigned month, mday;
    day_to_civil(day, &year, &month, &mday);
    put_digits(out, (unsigned)year, 4);
    put_digits(out + 4, month, 2);
    put_digits(out + 6, mday, 2);
    out[DAY_COMPACT_LEN] = '\0';
}

enum day_range_status day_range_check(long from, long to, long max_days) {
    if (from > to) return DAY_RANGE_REVERSED;
    if (to - from + 1 > max_days) return DAY_RANGE_TOO_LONG;
    return DAY_RANGE_OK;
}
