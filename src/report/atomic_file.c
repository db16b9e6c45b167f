#include "report/atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int prism_atomic_open(prism_atomic_file *file, const char *path, prism_error *err)
{
    memset(file, 0, sizeof *file);
    if (strlen(path) >= sizeof file->path) {
        return prism_error_set(err, "%s: path too long", path);
    }
    snprintf(file->path, sizeof file->path, "%s", path);
    snprintf(file->temp_path, sizeof file->temp_path, "%s.partial", path);
    file->stream = fopen(file->temp_path, "w");
    if (file->stream == NULL) {
        return prism_error_set(err, "%s: cannot create: %s", file->temp_path, strerror(errno));
    }
    return 0;
}

int prism_atomic_commit(prism_atomic_file *file, prism_error *err)
{
    bool failed = ferror(file->stream) != 0;
    int saved_errno = errno;
    if (fclose(file->stream) != 0 && !failed) {
        failed = true;
        saved_errno = errno;
    }
    file->stream = NULL;
    if (failed) {
        remove(file->temp_path);
        return prism_error_set(err, "%s: write failed: %s", file->path, strerror(saved_errno));
    }
    if (rename(file->temp_path, file->path) != 0) {
        saved_errno = errno;
        remove(file->temp_path);
        return prism_error_set(err, "%s: cannot move into place: %s", file->path,
                               strerror(saved_errno));
    }
    return 0;
}

void prism_atomic_abort(prism_atomic_file *file)
{
    if (file->stream != NULL) {
        fclose(file->stream);
        file->stream = NULL;
        remove(file->temp_path);
    }
}

int prism_make_dirs(const char *dir, prism_error *err)
{
    char path[PATH_MAX];
    if (strlen(dir) >= sizeof path || dir[0] == '\0') {
        return prism_error_set(err, "output folder '%s': expected a non-empty path", dir);
    }
    snprintf(path, sizeof path, "%s", dir);

    /* Create each prefix in turn, as mkdir -p does. */
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                return prism_error_set(err, "output folder %s: cannot create: %s", path,
                                       strerror(errno));
            }
            *p = saved;
            if (saved == '\0') {
                break;
            }
        }
    }
    struct stat info;
    if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
        return prism_error_set(err, "output folder %s: exists but is not a folder", dir);
    }
    return 0;
}
