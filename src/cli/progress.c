#include "cli/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double prism_clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void prism_progress_init(prism_progress *progress, bool quiet, size_t runs,
                         size_t epochs_per_run)
{
    progress->enabled = !quiet && isatty(STDERR_FILENO);
    progress->start_s = prism_clock_s();
    progress->last_draw_s = 0.0;
    progress->epochs_per_run = epochs_per_run > 0 ? epochs_per_run : 1;
    progress->runs = runs;
    progress->drawn = false;
}

void prism_progress_update(void *context, size_t epochs_done, size_t epochs_total)
{
    prism_progress *progress = context;
    if (!progress->enabled) {
        return;
    }
    double now = prism_clock_s();
    if (now - progress->last_draw_s < 0.1 && epochs_done < epochs_total) {
        return;
    }
    progress->last_draw_s = now;

    double elapsed = now - progress->start_s;
    double fraction = (double)epochs_done / (double)epochs_total;
    size_t run = epochs_done / progress->epochs_per_run + 1;
    if (run > progress->runs) {
        run = progress->runs;
    }
    char left[32] = "?";
    if (fraction > 0.0) {
        snprintf(left, sizeof left, "%.0f s", elapsed * (1.0 - fraction) / fraction);
    }
    fprintf(stderr, "\r\033[Krun %zu of %zu  %3.0f%%  elapsed %.0f s  left ~%s", run,
            progress->runs, 100.0 * fraction, elapsed, left);
    fflush(stderr);
    progress->drawn = true;
}

void prism_progress_finish(prism_progress *progress)
{
    if (progress->enabled && progress->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}
