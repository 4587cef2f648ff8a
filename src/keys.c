/* keys.c -- Redis key naming; see keys.h for the layout. */
#include "keys.h"

static const char dim_letter[DIM__COUNT] = {
    [DIM_USER] = 'u',
    [DIM_SDK] = 's',
};

void key_total(struct buf *b, enum dimension dim, const char *value, size_t len) {
    char prefix[] = {'a', 's', ':', dim_letter[dim], ':', 't', ':'};
    buf_append(b, prefix, sizeof(prefix));
    buf_append(b, value, len);
}
