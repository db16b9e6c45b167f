/* Files that appear complete or not at all: written as "<path>.partial" and renamed onto the
 * final name once every byte is written and the stream closed without error. */
#ifndef PRISM_REPORT_ATOMIC_FILE_H
#define PRISM_REPORT_ATOMIC_FILE_H

#include <limits.h>
#include <stdio.h>

#include "core/error.h"

typedef struct prism_atomic_file {
    FILE *stream;
    char path[PATH_MAX];
    char temp_path[PATH_MAX + 16];
} prism_atomic_file;

int prism_atomic_open(prism_atomic_file *file, const char *path, prism_error *err);

/* Closes and renames into place; on any write error removes the temporary file. */
int prism_atomic_commit(prism_atomic_file *file, prism_error *err);

/* Gives up: closes and removes the temporary file. */
void prism_atomic_abort(prism_atomic_file *file);

/* Creates dir (and its parents) if missing. */
int prism_make_dirs(const char *dir, prism_error *err);

#endif
