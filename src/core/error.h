/* Error reporting for the library: functions return 0 on success or -1 on failure and, on
 * failure, leave a complete human-readable message in a caller-owned prism_error. The library
 * never prints and never exits; the CLI decides what to do with the message. */
#ifndef PRISM_CORE_ERROR_H
#define PRISM_CORE_ERROR_H

#define PRISM_ERROR_MESSAGE_BYTES 1024

typedef struct prism_error {
    char message[PRISM_ERROR_MESSAGE_BYTES];
} prism_error;

/* Formats the message into err (when err is not NULL) and returns -1, so that callers can write
 * `return prism_error_set(err, "...", ...);`. */
int prism_error_set(prism_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "context: " to an existing message, for errors that bubble up through layers. */
int prism_error_prefix(prism_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
