/* A one-line progress display on stderr, drawn only when stderr is a terminal and the user did
 * not ask for quiet: models and runs done, elapsed time and an estimate of the time left. */
#ifndef PRISM_CLI_PROGRESS_H
#define PRISM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct prism_progress {
    bool enabled;
    double start_s;
    double last_draw_s;
    size_t epochs_per_run; /* epochs of all variants of one run */
    size_t runs;
    bool drawn;
} prism_progress;

void prism_progress_init(prism_progress *progress, bool quiet, size_t runs,
                         size_t epochs_per_run);

/* Matches prism_progress_callback. Redraws at most ten times a second. */
void prism_progress_update(void *context, size_t epochs_done, size_t epochs_total);

/* Clears the line so that later output starts clean. */
void prism_progress_finish(prism_progress *progress);

double prism_clock_s(void);

#endif
