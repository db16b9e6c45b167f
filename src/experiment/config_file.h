/* Config files and presets: an INI file (read with inih) that sets any part of an experiment
 * configuration. docs/config.md describes the format; in short:
 *
 *   [experiment]   dataset, runs, seed, design, threads, masks, confidence
 *   [training]     epochs, batch, lr
 *   [model NAME]   layers = 64:gelu,16:tanh        one section per model, in order
 *   [stress]       site = 2:pre_norm
 *   [test NAME]    levels = 0, 0.3, 0.5            one section per test, in order
 *
 * A file is applied on top of a configuration: the keys it gives replace those values; its
 * [model] sections, when it has any, replace all models, and its [test] sections all tests.
 * Everything else is an error that names the file, the line, the section and the key: an
 * unknown section or key, a key given twice, a value that does not parse or is out of range. A
 * preset is such a file, presets/NAME.ini, and its first comment line describes it. */
#ifndef PRISM_EXPERIMENT_CONFIG_FILE_H
#define PRISM_EXPERIMENT_CONFIG_FILE_H

#include <limits.h>
#include <stddef.h>

#include "core/error.h"
#include "experiment/config.h"

#define PRISM_CONFIG_FILE_MAX_BYTES (1024 * 1024)

/* Applies the INI text (text_bytes long, no NUL inside) on top of config; `label` names it in
 * messages. On failure config is unchanged. */
int prism_config_text_apply(const char *label, const char *text, size_t text_bytes,
                            prism_experiment_config *config, prism_error *err);

/* Reads the file at path and applies it as above; then records path in config->source and the
 * file's name without ".ini" in config->preset. */
int prism_config_file_apply(const char *path, prism_experiment_config *config,
                            prism_error *err);

/* The folder presets are read from: $PRISM_PRESET_DIR when set and not empty, else the build's
 * presets folder. */
const char *prism_preset_dir(void);

/* The path of preset NAME in dir (letters, digits, '-' and '_' only, so that a name cannot
 * reach outside dir); fails naming the presets there when the file does not exist. */
int prism_preset_path(const char *dir, const char *name, char *out, size_t out_bytes,
                      prism_error *err);

typedef struct prism_preset_info {
    char name[64];
    char description[256]; /* the file's first comment line, without the comment mark */
    char path[PATH_MAX];
} prism_preset_info;

/* The presets in dir, sorted by name, in a malloc'ed array the caller frees. */
int prism_preset_list(const char *dir, prism_preset_info **presets, size_t *count,
                      prism_error *err);

#endif
