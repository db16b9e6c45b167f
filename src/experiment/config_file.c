#include "experiment/config_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/build_info.h"
#include "experiment/config_text.h"

/* ---- The sections and keys a file may hold ---- */

typedef enum section_kind {
    SECTION_NONE, /* before the first header */
    SECTION_EXPERIMENT,
    SECTION_TRAINING,
    SECTION_STRESS,
    SECTION_MODEL,
    SECTION_TEST,
    SECTION_COUNT
} section_kind;

static const char *const SECTION_KEYS[SECTION_COUNT] = {
    [SECTION_NONE] = "",
    [SECTION_EXPERIMENT] = "dataset, runs, seed, design, threads, masks or confidence",
    [SECTION_TRAINING] = "epochs, batch or lr",
    [SECTION_STRESS] = "site",
    [SECTION_MODEL] = "layers",
    [SECTION_TEST] = "levels",
};

enum { HEADER_BYTES = 1024, LIST_BYTES = 4096, MAX_KEYS = 16, MODEL_NAME_BYTES = 64 };

typedef enum line_kind { LINE_OTHER, LINE_SECTION, LINE_KEY, LINE_CONTINUATION } line_kind;

/* A list value (layers, levels) collected over its key line and any continuation lines, parsed
 * once complete. */
typedef struct pending_list {
    bool active;
    char key[16];
    size_t target; /* model or test index */
    size_t first_line;
    size_t last_line;
    char text[LIST_BYTES];
} pending_list;

typedef struct file_parse {
    const char *label;
    prism_error *err;
    bool failed;
    size_t error_line;

    /* The reader's view of the text. */
    const char *text;
    size_t text_bytes;
    size_t pos;
    size_t line;
    line_kind kind;
    bool section_has_key; /* inih continues a key only after one in the same section */

    /* The current section. */
    section_kind section;
    char section_text[HEADER_BYTES];
    size_t section_line;
    size_t section_index; /* model or test index */
    char key_names[MAX_KEYS][64];
    size_t key_lines[MAX_KEYS];
    size_t n_keys;
    char last_key[64];

    /* What the file holds so far. */
    size_t singleton_line[SECTION_COUNT]; /* first line of [experiment], [training], [stress] */
    prism_experiment_config work;
    size_t n_models;
    prism_variant models[PRISM_MAX_VARIANTS];
    size_t model_line[PRISM_MAX_VARIANTS];
    size_t model_layers_line[PRISM_MAX_VARIANTS];
    size_t n_tests;
    prism_test_plan tests[PRISM_TEST_COUNT];
    size_t test_line[PRISM_TEST_COUNT];
    size_t test_levels_line[PRISM_TEST_COUNT];
    size_t site_line;
    pending_list pending;
} file_parse;

/* Records the first failure as "LABEL:LINE: [SECTION] KEY: detail" (key may be NULL, section
 * empty before the first header) and makes the reader stop. */
static void fail_at(file_parse *p, size_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_at(file_parse *p, size_t line, const char *key, const char *fmt, ...)
{
    if (p->failed) {
        return;
    }
    char detail[PRISM_ERROR_MESSAGE_BYTES];
    va_list args;
    va_start(args, fmt);
    vsnprintf(detail, sizeof detail, fmt, args);
    va_end(args);

    char where[PRISM_ERROR_MESSAGE_BYTES];
    if (p->section == SECTION_NONE) {
        snprintf(where, sizeof where, "%.600s:%zu:", p->label, line);
    } else {
        snprintf(where, sizeof where, "%.600s:%zu: [%.200s]", p->label, line, p->section_text);
    }
    if (key != NULL) {
        prism_error_set(p->err, "%s %s: %s", where, key, detail);
    } else {
        prism_error_set(p->err, "%s %s", where, detail);
    }
    p->failed = true;
    p->error_line = line;
}

/* ---- Lists that may span lines ---- */

static void pending_start(file_parse *p, const char *key, size_t target, const char *value)
{
    pending_list *list = &p->pending;
    list->active = true;
    snprintf(list->key, sizeof list->key, "%s", key);
    list->target = target;
    list->first_line = p->line;
    list->last_line = p->line;
    snprintf(list->text, sizeof list->text, "%s", value);
}

/* Appends a continuation line; a comma joins the pieces unless the last already ends in one. */
static void pending_continue(file_parse *p, const char *value)
{
    pending_list *list = &p->pending;
    size_t len = strlen(list->text);
    const char *joint = len > 0 && list->text[len - 1] != ',' ? "," : "";
    if (len + strlen(joint) + strlen(value) + 1 > sizeof list->text) {
        fail_at(p, p->line, list->key, "the list is longer than %zu characters",
                sizeof list->text - 1);
        return;
    }
    strcat(list->text, joint);
    strcat(list->text, value);
    list->last_line = p->line;
}

/* Parses a completed list into its model or test. */
static void pending_finish(file_parse *p)
{
    pending_list *list = &p->pending;
    if (!list->active || p->failed) {
        list->active = false;
        return;
    }
    list->active = false;
    prism_error detail;
    int status;
    if (strcmp(list->key, "layers") == 0) {
        status = prism_layers_parse(list->text, &p->models[list->target].spec, &detail);
    } else {
        status = prism_levels_parse(list->text, &p->tests[list->target], &detail);
    }
    if (status == 0) {
        return;
    }
    if (list->last_line > list->first_line) {
        fail_at(p, list->first_line, list->key, "(lines %zu-%zu) %s", list->first_line,
                list->last_line, detail.message);
    } else {
        fail_at(p, list->first_line, list->key, "%s", detail.message);
    }
}

/* ---- Sections ---- */

static bool model_name_valid(const char *name)
{
    if (name[0] == '\0' || strlen(name) >= MODEL_NAME_BYTES) {
        return false;
    }
    for (const char *c = name; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("_-.:+/", *c) == NULL) {
            return false;
        }
    }
    return true;
}

static void open_model_section(file_parse *p, const char *name)
{
    if (!model_name_valid(name)) {
        fail_at(p, p->line, NULL, "model name '%s': expected 1 to %d letters, digits or "
                "_ - . : + / (names go unquoted into CSV files)", name, MODEL_NAME_BYTES - 1);
        return;
    }
    for (size_t m = 0; m < p->n_models; m++) {
        if (strcmp(p->models[m].name, name) == 0) {
            fail_at(p, p->line, NULL, "model '%s' is defined twice (first on line %zu)", name,
                    p->model_line[m]);
            return;
        }
    }
    if (p->n_models == PRISM_MAX_VARIANTS) {
        fail_at(p, p->line, NULL, "at most %d models, found more", PRISM_MAX_VARIANTS);
        return;
    }
    prism_variant *model = &p->models[p->n_models];
    memset(model, 0, sizeof *model);
    snprintf(model->name, sizeof model->name, "%s", name);
    p->model_line[p->n_models] = p->line;
    p->section_index = p->n_models++;
}

static void open_test_section(file_parse *p, const char *name)
{
    prism_test_kind kind;
    prism_error detail;
    if (prism_test_parse(name, &kind, &detail) != 0) {
        fail_at(p, p->line, NULL, "%s", detail.message);
        return;
    }
    for (size_t t = 0; t < p->n_tests; t++) {
        if (p->tests[t].kind == kind) {
            fail_at(p, p->line, NULL, "test '%s' is given twice (first on line %zu)", name,
                    p->test_line[t]);
            return;
        }
    }
    p->tests[p->n_tests] = (prism_test_plan){.kind = kind};
    p->test_line[p->n_tests] = p->line;
    p->section_index = p->n_tests++;
}

/* A header line "[TEXT]" (the reader found the '['), with nothing after the ']' but a comment. */
static void open_section(file_parse *p, const char *header)
{
    pending_finish(p);
    const char *close = strchr(header, ']');
    if (close == NULL) {
        p->section = SECTION_NONE;
        fail_at(p, p->line, NULL, "section header without ']'");
        return;
    }
    const char *after = close + 1;
    while (*after == ' ' || *after == '\t') {
        after++;
    }
    if (*after != '\0' && *after != ';' && *after != '#' && *after != '\r' && *after != '\n') {
        p->section = SECTION_NONE;
        fail_at(p, p->line, NULL, "unexpected text after the section header: '%s'", after);
        return;
    }

    /* The text between the brackets, trimmed, split into a word and an optional name. */
    char inner[HEADER_BYTES];
    size_t len = (size_t)(close - header - 1);
    if (len >= sizeof inner) {
        len = sizeof inner - 1;
    }
    memcpy(inner, header + 1, len);
    inner[len] = '\0';
    char *word = inner;
    while (*word == ' ' || *word == '\t') {
        word++;
    }
    while (len > 0 && (inner[len - 1] == ' ' || inner[len - 1] == '\t')) {
        inner[--len] = '\0';
    }
    char *name = word + strcspn(word, " \t");
    if (*name != '\0') {
        *name++ = '\0';
        name += strspn(name, " \t");
    }

    p->section = SECTION_NONE; /* until the header proves valid */
    p->n_keys = 0;
    p->last_key[0] = '\0';
    p->section_has_key = false;
    snprintf(p->section_text, sizeof p->section_text, "%.200s%s%.200s", word, *name ? " " : "",
             name);
    p->section_line = p->line;

    static const struct {
        const char *word;
        section_kind kind;
        bool named;
    } known[] = {{"experiment", SECTION_EXPERIMENT, false}, {"training", SECTION_TRAINING, false},
                 {"stress", SECTION_STRESS, false},         {"model", SECTION_MODEL, true},
                 {"test", SECTION_TEST, true}};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strcmp(word, known[k].word) != 0) {
            continue;
        }
        if (known[k].named && *name == '\0') {
            fail_at(p, p->line, NULL, "expected [%s NAME], found [%s]", word, word);
            return;
        }
        if (!known[k].named && *name != '\0') {
            fail_at(p, p->line, NULL, "expected [%s] without a name, found [%s]", word,
                    p->section_text);
            return;
        }
        if (!known[k].named && p->singleton_line[known[k].kind] != 0) {
            fail_at(p, p->line, NULL, "section [%s] appears twice (first on line %zu)", word,
                    p->singleton_line[known[k].kind]);
            return;
        }
        p->singleton_line[known[k].kind] = p->line;
        if (known[k].kind == SECTION_MODEL) {
            open_model_section(p, name);
        } else if (known[k].kind == SECTION_TEST) {
            open_test_section(p, name);
        }
        if (!p->failed) {
            p->section = known[k].kind;
        }
        return;
    }
    fail_at(p, p->line, NULL, "unknown section [%s] (expected [experiment], [training], "
            "[stress], [model NAME] or [test NAME])", p->section_text);
}

/* ---- Keys ---- */

/* Applies one scalar key of [experiment], [training] or [stress]; the detail of a bad value
 * starts with the key's name. */
static int apply_scalar(file_parse *p, const char *key, const char *value, prism_error *detail)
{
    prism_experiment_config *c = &p->work;
    switch (p->section) {
    case SECTION_EXPERIMENT:
        if (strcmp(key, "dataset") == 0) {
            if (value[0] == '\0' || strlen(value) >= sizeof c->dataset) {
                return prism_error_set(detail, "dataset: expected a dataset name or folder, "
                                       "found '%s'", value);
            }
            snprintf(c->dataset, sizeof c->dataset, "%s", value);
            return 0;
        } else if (strcmp(key, "runs") == 0) {
            return prism_text_parse_size(key, value, 1, PRISM_MAX_RUNS, &c->runs, detail);
        } else if (strcmp(key, "seed") == 0) {
            return prism_text_parse_u64(key, value, &c->seed, detail);
        } else if (strcmp(key, "design") == 0) {
            if (prism_design_parse(value, &c->design, detail) != 0) {
                return prism_error_prefix(detail, "design");
            }
            return 0;
        } else if (strcmp(key, "threads") == 0) {
            return prism_text_parse_size(key, value, 0, PRISM_MAX_THREADS, &c->threads, detail);
        } else if (strcmp(key, "masks") == 0) {
            return prism_text_parse_size(key, value, 1, PRISM_MAX_MASKS, &c->masks, detail);
        } else if (strcmp(key, "confidence") == 0) {
            return prism_text_parse_double(key, value, 0.5, 0.9999, &c->confidence, detail);
        }
        break;
    case SECTION_TRAINING:
        if (strcmp(key, "epochs") == 0) {
            return prism_text_parse_size(key, value, 1, PRISM_MAX_EPOCHS, &c->train.epochs,
                                         detail);
        } else if (strcmp(key, "batch") == 0) {
            return prism_text_parse_size(key, value, 1, PRISM_MAX_BATCH, &c->train.batch, detail);
        } else if (strcmp(key, "lr") == 0) {
            return prism_text_parse_double(key, value, PRISM_MIN_LR, PRISM_MAX_LR, &c->train.lr,
                                           detail);
        }
        break;
    case SECTION_STRESS:
        if (strcmp(key, "site") == 0) {
            p->site_line = p->line;
            if (prism_site_text_parse(value, &c->site, detail) != 0) {
                return prism_error_prefix(detail, "site");
            }
            return 0;
        }
        break;
    default:
        break;
    }
    return prism_error_set(detail, "%s: unknown key (expected %s)", key,
                           SECTION_KEYS[p->section]);
}

/* Refuses a key given twice in one section. */
static bool key_is_new(file_parse *p, const char *key)
{
    for (size_t k = 0; k < p->n_keys; k++) {
        if (strcmp(p->key_names[k], key) == 0) {
            fail_at(p, p->line, key, "given twice in this section (first on line %zu)",
                    p->key_lines[k]);
            return false;
        }
    }
    if (p->n_keys < MAX_KEYS) {
        snprintf(p->key_names[p->n_keys], sizeof p->key_names[0], "%s", key);
        p->key_lines[p->n_keys++] = p->line;
    }
    return true;
}

static void apply_key(file_parse *p, const char *key, const char *value)
{
    if (p->section == SECTION_NONE) {
        fail_at(p, p->line, key, "a key before any [section] header");
        return;
    }
    if (!key_is_new(p, key)) {
        return;
    }
    snprintf(p->last_key, sizeof p->last_key, "%s", key);

    if (p->section == SECTION_MODEL || p->section == SECTION_TEST) {
        const char *list_key = p->section == SECTION_MODEL ? "layers" : "levels";
        if (strcmp(key, list_key) != 0) {
            fail_at(p, p->line, key, "unknown key (expected %s)", list_key);
            return;
        }
        size_t *line = p->section == SECTION_MODEL ? p->model_layers_line : p->test_levels_line;
        line[p->section_index] = p->line;
        pending_start(p, key, p->section_index, value);
        return;
    }

    prism_error detail;
    if (apply_scalar(p, key, value, &detail) != 0) {
        fail_at(p, p->line, NULL, "%s", detail.message);
    }
}

/* inih's handler: one call per key line and per continuation line. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    (void)section; /* inih's copy is cut at 50 bytes; the reader keeps the whole header */
    file_parse *p = user;
    if (p->failed) {
        return 1;
    }
    if (p->kind == LINE_CONTINUATION) {
        if (!p->pending.active) {
            fail_at(p, p->line, p->last_key, "an indented line continues the value above, and "
                    "only the lists 'layers' and 'levels' may continue; start a new key in "
                    "column 1");
            return 1;
        }
        pending_continue(p, value);
        return 1;
    }
    pending_finish(p);
    apply_key(p, key, value);
    return 1;
}

/* ---- The reader ---- */

/* inih's line source, fgets-like over the text in memory. It counts lines (this build of inih
 * passes no line numbers to the handler), refuses lines inih would cut, and classifies each
 * line the way inih will, so that the handler knows a continuation from a new key and sees
 * every section header, even of a section without keys. */
static char *read_line(char *out, int out_bytes, void *stream)
{
    file_parse *p = stream;
    if (p->failed || p->pos >= p->text_bytes) {
        return NULL;
    }
    const char *start = p->text + p->pos;
    const char *newline = memchr(start, '\n', p->text_bytes - p->pos);
    size_t len = newline != NULL ? (size_t)(newline - start) + 1 : p->text_bytes - p->pos;
    p->line++;
    p->pos += len;

    /* Make sure the pending list ends before a line inih would not hand to the handler. */
    if (len + 1 > (size_t)out_bytes) {
        pending_finish(p);
        fail_at(p, p->line, NULL, "line longer than %d characters (the INI reader's limit); "
                "split a long list over indented continuation lines", out_bytes - 2);
        return NULL;
    }
    memcpy(out, start, len);
    out[len] = '\0';

    const char *text = out;
    if (p->line == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3; /* a UTF-8 byte order mark, which inih skips */
    }
    const char *first = text + strspn(text, " \t");
    bool blank = *first == '\0' || *first == '\r' || *first == '\n';
    if (blank || *first == ';' || *first == '#') {
        p->kind = LINE_OTHER;
    } else if (first > text && p->section_has_key) {
        p->kind = LINE_CONTINUATION;
    } else if (*first == '[') {
        p->kind = LINE_SECTION;
        open_section(p, first);
    } else {
        /* inih splits a key line at its first '=' or ':' before any " ;" comment. */
        size_t split_at = strcspn(first, "=:");
        const char *comment = strstr(first, " ;");
        const char *tab_comment = strstr(first, "\t;");
        if (first[split_at] == '\0' || (comment != NULL && comment < first + split_at) ||
            (tab_comment != NULL && tab_comment < first + split_at)) {
            pending_finish(p);
            fail_at(p, p->line, NULL, "expected 'key = value', a [section] header or a "
                    "comment (starting with ';' or '#'), found '%.*s'",
                    (int)strcspn(first, "\r\n"), first);
            return NULL;
        }
        p->kind = LINE_KEY;
        p->section_has_key = true;
    }
    return out;
}

/* ---- Applying a file ---- */

/* The checks that need the whole file: required keys, then the site against the models. */
static void finish_file(file_parse *p)
{
    for (size_t m = 0; m < p->n_models && !p->failed; m++) {
        if (p->model_layers_line[m] == 0) {
            p->section = SECTION_MODEL;
            snprintf(p->section_text, sizeof p->section_text, "model %s", p->models[m].name);
            fail_at(p, p->model_line[m], NULL, "no 'layers' key, e.g. layers = 64:gelu,16:tanh");
        }
    }
    for (size_t t = 0; t < p->n_tests && !p->failed; t++) {
        if (p->test_levels_line[t] == 0) {
            p->section = SECTION_TEST;
            snprintf(p->section_text, sizeof p->section_text, "test %s",
                     prism_test_name(p->tests[t].kind));
            fail_at(p, p->test_line[t], NULL, "no 'levels' key, e.g. levels = 0, 0.3, 0.5");
        }
    }
    if (p->failed) {
        return;
    }

    if (p->n_models > 0) {
        memcpy(p->work.variants, p->models, p->n_models * sizeof p->models[0]);
        p->work.n_variants = p->n_models;
    }
    if (p->n_tests > 0) {
        memcpy(p->work.tests, p->tests, p->n_tests * sizeof p->tests[0]);
        p->work.n_tests = p->n_tests;
    }

    prism_error detail;
    if (prism_config_check_site(&p->work, &detail) != 0) {
        if (p->site_line != 0) {
            p->section = SECTION_STRESS;
            snprintf(p->section_text, sizeof p->section_text, "stress");
            fail_at(p, p->site_line, "site", "%s", detail.message);
        } else {
            prism_error_set(p->err, "%s: site: %s", p->label, detail.message);
            p->failed = true;
        }
        return;
    }
    if (prism_config_check(&p->work, &detail) != 0) {
        prism_error_set(p->err, "%s: %s", p->label, detail.message);
        p->failed = true;
    }
}

int prism_config_text_apply(const char *label, const char *text, size_t text_bytes,
                            prism_experiment_config *config, prism_error *err)
{
    if (memchr(text, '\0', text_bytes) != NULL) {
        return prism_error_set(err, "%s: expected an INI text file, found a NUL byte", label);
    }
    /* Too large for the stack: it holds whole lists of models and tests. */
    file_parse *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return prism_error_set(err, "%s: out of memory", label);
    }
    p->label = label;
    p->err = err;
    p->text = text;
    p->text_bytes = text_bytes;
    p->work = *config;

    int status = ini_parse_stream(read_line, p, on_entry, p);
    pending_finish(p);

    /* inih reports its own syntax errors by line; the earlier of its and ours is the one. */
    if (status > 0 && (!p->failed || (size_t)status < p->error_line)) {
        p->failed = false;
        p->section = SECTION_NONE;
        fail_at(p, (size_t)status, NULL, "expected 'key = value', a [section] header or a "
                "comment (starting with ';' or '#')");
    } else if (status < 0 && !p->failed) {
        fail_at(p, p->line, NULL, "the INI reader failed (status %d)", status);
    }
    if (!p->failed) {
        finish_file(p);
    }

    int result = p->failed ? -1 : 0;
    if (result == 0) {
        *config = p->work;
    }
    free(p);
    return result;
}

/* Reads a whole file of at most PRISM_CONFIG_FILE_MAX_BYTES into a malloc'ed buffer. */
static int read_file(const char *path, char **text, size_t *text_bytes, prism_error *err)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return prism_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    }
    char *buf = malloc(PRISM_CONFIG_FILE_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(file);
        return prism_error_set(err, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, PRISM_CONFIG_FILE_MAX_BYTES + 1, file);
    bool read_error = ferror(file) != 0;
    int read_errno = errno;
    fclose(file);
    if (read_error) {
        free(buf);
        return prism_error_set(err, "%s: cannot read it as a config file: %s", path,
                               strerror(read_errno));
    }
    if (got > PRISM_CONFIG_FILE_MAX_BYTES) {
        free(buf);
        return prism_error_set(err, "%s: expected a config file of at most %d bytes, found more",
                               path, PRISM_CONFIG_FILE_MAX_BYTES);
    }
    *text = buf;
    *text_bytes = got;
    return 0;
}

/* The file name of path without its folder and without a final ".ini". */
static void file_stem(const char *path, char *out, size_t out_bytes)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".ini") == 0) {
        len -= 4;
    }
    if (len >= out_bytes) {
        len = out_bytes - 1;
    }
    memcpy(out, base, len);
    out[len] = '\0';
}

int prism_config_file_apply(const char *path, prism_experiment_config *config,
                            prism_error *err)
{
    if (strlen(path) >= sizeof config->source) {
        return prism_error_set(err, "config file path longer than %zu characters",
                               sizeof config->source - 1);
    }
    char *text = NULL;
    size_t text_bytes = 0;
    if (read_file(path, &text, &text_bytes, err) != 0) {
        return -1;
    }
    int status = prism_config_text_apply(path, text, text_bytes, config, err);
    free(text);
    if (status != 0) {
        return -1;
    }
    snprintf(config->source, sizeof config->source, "%s", path);
    file_stem(path, config->preset, sizeof config->preset);
    return 0;
}

/* ---- Presets ---- */

const char *prism_preset_dir(void)
{
    const char *dir = getenv("PRISM_PRESET_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : PRISM_PRESET_DIR;
}

static bool preset_name_valid(const char *name, size_t len)
{
    if (len == 0 || len >= sizeof((prism_preset_info *)0)->name) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_') {
            return false;
        }
    }
    return true;
}

/* The first comment line of a preset file, without its mark and surrounding spaces. */
static void read_description(const char *path, char *out, size_t out_bytes)
{
    out[0] = '\0';
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, file) != NULL) {
        char *text = line + strspn(line, " \t");
        if (*text != '#' && *text != ';') {
            continue;
        }
        text += strspn(text, "#; \t");
        text[strcspn(text, "\r\n")] = '\0';
        snprintf(out, out_bytes, "%s", text);
        break;
    }
    fclose(file);
}

static int compare_presets(const void *a, const void *b)
{
    return strcmp(((const prism_preset_info *)a)->name, ((const prism_preset_info *)b)->name);
}

int prism_preset_list(const char *dir, prism_preset_info **presets, size_t *count,
                      prism_error *err)
{
    *presets = NULL;
    *count = 0;
    DIR *folder = opendir(dir);
    if (folder == NULL) {
        return prism_error_set(err, "preset folder %s: cannot open: %s (set PRISM_PRESET_DIR "
                               "to the folder of .ini presets)", dir, strerror(errno));
    }
    prism_preset_info *list = NULL;
    size_t n = 0;
    size_t capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len <= 4 || strcmp(entry->d_name + len - 4, ".ini") != 0 ||
            !preset_name_valid(entry->d_name, len - 4)) {
            continue;
        }
        if (n == capacity) {
            capacity = capacity == 0 ? 16 : 2 * capacity;
            prism_preset_info *grown = realloc(list, capacity * sizeof *list);
            if (grown == NULL) {
                free(list);
                closedir(folder);
                return prism_error_set(err, "out of memory listing presets");
            }
            list = grown;
        }
        prism_preset_info *info = &list[n];
        memcpy(info->name, entry->d_name, len - 4);
        info->name[len - 4] = '\0';
        int wrote = snprintf(info->path, sizeof info->path, "%s/%s", dir, entry->d_name);
        struct stat st;
        if (wrote < 0 || (size_t)wrote >= sizeof info->path || stat(info->path, &st) != 0 ||
            !S_ISREG(st.st_mode)) {
            continue;
        }
        read_description(info->path, info->description, sizeof info->description);
        n++;
    }
    closedir(folder);
    qsort(list, n, sizeof *list, compare_presets);
    *presets = list;
    *count = n;
    return 0;
}

int prism_preset_path(const char *dir, const char *name, char *out, size_t out_bytes,
                      prism_error *err)
{
    if (!preset_name_valid(name, strlen(name))) {
        return prism_error_set(err, "preset name '%s': expected letters, digits, '-' or '_'",
                               name);
    }
    int wrote = snprintf(out, out_bytes, "%s/%s.ini", dir, name);
    if (wrote < 0 || (size_t)wrote >= out_bytes) {
        return prism_error_set(err, "preset '%s': path too long", name);
    }
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
        return 0;
    }

    /* Name the choices, so that a typo is easy to fix. */
    char names[512] = "";
    prism_preset_info *presets = NULL;
    size_t count = 0;
    prism_error list_err;
    if (prism_preset_list(dir, &presets, &count, &list_err) == 0) {
        size_t used = 0;
        for (size_t i = 0; i < count && used < sizeof names; i++) {
            int n = snprintf(names + used, sizeof names - used, "%s%s", i > 0 ? ", " : "",
                             presets[i].name);
            used += n > 0 ? (size_t)n : 0;
        }
        free(presets);
    }
    return prism_error_set(err, "unknown preset '%s' (no %s.ini in %s; presets there: %s)",
                           name, name, dir, names[0] != '\0' ? names : "none");
}
