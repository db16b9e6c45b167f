/* Float arrays that start on a cache line. A 16-float vector load from an address that is not a
 * multiple of 64 bytes touches two cache lines, which halves the loads the core can issue per
 * cycle; the first-layer kernels load every weight vector and input row this way. */
#ifndef PRISM_CORE_ALIGNED_H
#define PRISM_CORE_ALIGNED_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { PRISM_CACHE_LINE_BYTES = 64 };

/* count zeroed floats on a cache-line boundary, or NULL; release with free(). */
static inline float *prism_aligned_floats(size_t count)
{
    if (count > (SIZE_MAX - PRISM_CACHE_LINE_BYTES) / sizeof(float)) {
        return NULL;
    }
    /* aligned_alloc wants a whole number of lines; at least one, so 0 floats is not NULL. */
    size_t lines = (count * sizeof(float) + PRISM_CACHE_LINE_BYTES - 1) / PRISM_CACHE_LINE_BYTES;
    size_t bytes = (lines == 0 ? 1 : lines) * PRISM_CACHE_LINE_BYTES;
    float *p = aligned_alloc(PRISM_CACHE_LINE_BYTES, bytes);
    if (p != NULL) {
        memset(p, 0, bytes);
    }
    return p;
}

#endif
