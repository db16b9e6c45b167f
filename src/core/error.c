#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int prism_error_set(prism_error *err, const char *fmt, ...)
{
    if (err == NULL) {
        return -1;
    }
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return -1;
}

int prism_error_prefix(prism_error *err, const char *fmt, ...)
{
    if (err == NULL) {
        return -1;
    }
    char prefix[PRISM_ERROR_MESSAGE_BYTES];
    va_list args;
    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);

    /* Room for both parts; the result is cut to the message size if it must be. */
    char joined[2 * PRISM_ERROR_MESSAGE_BYTES + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
    memcpy(err->message, joined, sizeof err->message - 1);
    err->message[sizeof err->message - 1] = '\0';
    return -1;
}
