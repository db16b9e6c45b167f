#include "experiment/config_text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest list text accepted; far beyond any real stack of layers or levels. */
enum { TEXT_BYTES = 4096, MAX_FIELDS = 5 };

int prism_text_parse_size(const char *what, const char *text, size_t min, size_t max,
                          size_t *out, prism_error *err)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    /* strtoull would accept "-1" as a huge number; a sign is never a whole count. */
    if (*p == '-' || *p == '+' || *p == '\0') {
        return prism_error_set(err, "%s: expected a whole number in %zu..%zu, found '%s'", what,
                               min, max, text);
    }
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(p, &end, 10);
    if (*end != '\0' || errno == ERANGE || value < min || value > max) {
        return prism_error_set(err, "%s: expected a whole number in %zu..%zu, found '%s'", what,
                               min, max, text);
    }
    *out = (size_t)value;
    return 0;
}

int prism_text_parse_double(const char *what, const char *text, double min, double max,
                            double *out, prism_error *err)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(value) || value < min ||
        value > max) {
        return prism_error_set(err, "%s: expected a number in [%g, %g], found '%s'", what, min,
                               max, text);
    }
    *out = value;
    return 0;
}

int prism_text_parse_u64(const char *what, const char *text, uint64_t *out, prism_error *err)
{
    size_t value;
    _Static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit size_t expected");
    if (prism_text_parse_size(what, text, 0, SIZE_MAX, &value, err) != 0) {
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

/* Strips spaces and tabs from both ends, in place. */
static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t') {
        text++;
    }
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t')) {
        text[--len] = '\0';
    }
    return text;
}

/* Cuts text at every `delim` into trimmed fields, keeping empty ones so that "a,,b" can be
 * refused. Returns the number of fields, or max + 1 when there are more than max. */
static size_t split(char *text, char delim, char **fields, size_t max)
{
    size_t n = 0;
    char *start = text;
    for (;;) {
        char *cut = strchr(start, delim);
        if (cut != NULL) {
            *cut = '\0';
        }
        if (n == max) {
            return max + 1;
        }
        fields[n++] = trim(start);
        if (cut == NULL) {
            return n;
        }
        start = cut + 1;
    }
}

/* Copies text into buf for splitting, refusing what does not fit. */
static int copy_text(const char *text, char *buf, size_t buf_bytes, prism_error *err)
{
    size_t len = strlen(text);
    if (len >= buf_bytes) {
        return prism_error_set(err, "expected at most %zu characters, found %zu", buf_bytes - 1,
                               len);
    }
    memcpy(buf, text, len + 1);
    return 0;
}

static bool is_norm_name(const char *text)
{
    prism_norm_kind kind;
    return prism_norm_parse(text, &kind, NULL) == 0;
}

/* One item WIDTH:ACT[:PARAM][:NORM]; `index` counts from 1 and `shown` is the item as given,
 * both for messages. */
static int parse_layer(char *item, size_t index, const char *shown, prism_layer_spec *layer,
                       prism_error *err)
{
    char *fields[MAX_FIELDS];
    size_t n = split(item, ':', fields, 4);
    if (n < 2 || n > 4) {
        return prism_error_set(err, "layer %zu '%s': expected WIDTH:ACT[:PARAM][:NORM], e.g. "
                               "16:tanh, 16:leaky_relu:0.1 or 16:gelu:rmsnorm", index, shown);
    }
    if (prism_text_parse_size("width", fields[0], 1, PRISM_MAX_WIDTH, &layer->width, err) != 0) {
        return prism_error_prefix(err, "layer %zu '%s'", index, shown);
    }

    prism_activation act;
    if (prism_activation_parse(fields[1], &act, err) != 0) {
        return prism_error_prefix(err, "layer %zu '%s'", index, shown);
    }
    const prism_activation_info *info = prism_activation_describe(act.kind);

    const char *param = NULL;
    layer->norm = PRISM_NORM_LAYERNORM;
    if (n == 4) {
        param = fields[2];
        if (prism_norm_parse(fields[3], &layer->norm, err) != 0) {
            return prism_error_prefix(err, "layer %zu '%s': fourth field", index, shown);
        }
    } else if (n == 3 && is_norm_name(fields[2])) {
        prism_norm_parse(fields[2], &layer->norm, NULL);
    } else if (n == 3) {
        param = fields[2];
        if (info->param_name == NULL) {
            return prism_error_set(err, "layer %zu '%s': '%s' is neither a normalisation "
                                   "(layernorm, rmsnorm or none) nor a parameter ('%s' takes "
                                   "none)", index, shown, fields[2], info->name);
        }
    }

    if (param != NULL) {
        char with_param[TEXT_BYTES];
        snprintf(with_param, sizeof with_param, "%s:%s", fields[1], param);
        if (prism_activation_parse(with_param, &act, err) != 0) {
            return prism_error_prefix(err, "layer %zu '%s'", index, shown);
        }
    }
    layer->act = act;
    return 0;
}

int prism_layers_parse(const char *text, prism_net_spec *spec, prism_error *err)
{
    char buf[TEXT_BYTES];
    if (copy_text(text, buf, sizeof buf, err) != 0) {
        return -1;
    }
    char *items[PRISM_MAX_HIDDEN_LAYERS + 1];
    size_t n = split(buf, ',', items, PRISM_MAX_HIDDEN_LAYERS);
    if (n == 1 && items[0][0] == '\0') {
        return prism_error_set(err, "expected hidden layers WIDTH:ACT[:PARAM][:NORM] separated "
                               "by commas, e.g. 128:gelu,16:tanh, found nothing");
    }
    if (n > PRISM_MAX_HIDDEN_LAYERS) {
        return prism_error_set(err, "expected at most %d hidden layers, found more",
                               PRISM_MAX_HIDDEN_LAYERS);
    }

    prism_net_spec parsed = prism_net_spec_article((prism_activation){PRISM_ACT_RELU, 0.0f});
    parsed.n_hidden = n;
    for (size_t l = 0; l < n; l++) {
        if (items[l][0] == '\0') {
            return prism_error_set(err, "layer %zu is empty (a stray comma?) in '%s'", l + 1,
                                   text);
        }
        char shown[TEXT_BYTES];
        snprintf(shown, sizeof shown, "%s", items[l]);
        if (parse_layer(items[l], l + 1, shown, &parsed.hidden[l], err) != 0) {
            return -1;
        }
    }
    *spec = parsed;
    return 0;
}

/* Appends formatted text at *used, never past out_bytes (the text is then cut short). */
static void append(char *out, size_t out_bytes, size_t *used, const char *text)
{
    if (*used + 1 >= out_bytes) {
        return;
    }
    int wrote = snprintf(out + *used, out_bytes - *used, "%s", text);
    *used += (size_t)wrote < out_bytes - *used ? (size_t)wrote : out_bytes - *used - 1;
}

static const char *format_layers(const prism_net_spec *spec, bool full, const char *separator,
                                 char *out, size_t out_bytes)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t l = 0; l < spec->n_hidden; l++) {
        const prism_layer_spec *layer = &spec->hidden[l];
        char act[64];
        char item[160];
        prism_activation_format(&layer->act, act, sizeof act);
        if (full || layer->norm != PRISM_NORM_LAYERNORM) {
            snprintf(item, sizeof item, "%s%zu:%s:%s", l > 0 ? separator : "", layer->width, act,
                     prism_norm_name(layer->norm));
        } else {
            snprintf(item, sizeof item, "%s%zu:%s", l > 0 ? separator : "", layer->width, act);
        }
        append(out, out_bytes, &used, item);
    }
    return out;
}

const char *prism_layers_format(const prism_net_spec *spec, char *out, size_t out_bytes)
{
    return format_layers(spec, true, ",", out, out_bytes);
}

const char *prism_layers_name(const prism_net_spec *spec, char *out, size_t out_bytes)
{
    return format_layers(spec, false, "/", out, out_bytes);
}

int prism_site_text_parse(const char *text, prism_site *site, prism_error *err)
{
    char buf[256];
    if (copy_text(text, buf, sizeof buf, err) != 0) {
        return -1;
    }
    char *fields[3];
    if (split(buf, ':', fields, 2) != 2) {
        return prism_error_set(err, "expected LAYER:POSITION such as 1:pre_norm or 2:post_act, "
                               "found '%s'", text);
    }
    size_t layer;
    if (prism_text_parse_size("layer", fields[0], 1, PRISM_MAX_HIDDEN_LAYERS, &layer, err) != 0) {
        return -1;
    }
    prism_site parsed = {.layer = layer - 1};
    if (prism_site_parse(fields[1], &parsed.kind, err) != 0) {
        return -1;
    }
    *site = parsed;
    return 0;
}

const char *prism_site_text_format(const prism_site *site, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes, "%zu:%s", site->layer + 1, prism_site_name(site->kind));
    return out;
}

int prism_activations_parse(const char *text, prism_activation *acts, size_t max, size_t *n,
                            prism_error *err)
{
    char buf[TEXT_BYTES];
    if (copy_text(text, buf, sizeof buf, err) != 0) {
        return -1;
    }
    char *items[PRISM_MAX_VARIANTS + 1];
    size_t limit = max < PRISM_MAX_VARIANTS ? max : PRISM_MAX_VARIANTS;
    size_t count = split(buf, ',', items, limit);
    if (count > limit) {
        return prism_error_set(err, "expected at most %zu activations, found more", limit);
    }
    if (count == 1 && items[0][0] == '\0') {
        return prism_error_set(err, "expected a comma-separated list such as relu,tanh,gelu, "
                               "found nothing");
    }
    for (size_t i = 0; i < count; i++) {
        if (items[i][0] == '\0') {
            return prism_error_set(err, "item %zu is empty (a stray comma?) in '%s'", i + 1,
                                   text);
        }
        if (prism_activation_parse(items[i], &acts[i], err) != 0) {
            return -1;
        }
    }
    *n = count;
    return 0;
}

int prism_levels_parse(const char *text, prism_test_plan *plan, prism_error *err)
{
    char buf[TEXT_BYTES];
    if (copy_text(text, buf, sizeof buf, err) != 0) {
        return -1;
    }
    char *items[PRISM_MAX_LEVELS + 1];
    size_t room = PRISM_MAX_LEVELS - plan->n_levels;
    size_t count = split(buf, ',', items, room);
    if (count > room) {
        return prism_error_set(err, "expected at most %d levels, found more", PRISM_MAX_LEVELS);
    }
    for (size_t i = 0; i < count; i++) {
        if (items[i][0] == '\0') {
            return prism_error_set(err, "level %zu is empty (a stray comma?) in '%s'",
                                   plan->n_levels + 1, text);
        }
        char *end = NULL;
        errno = 0;
        double level = strtod(items[i], &end);
        if (*end != '\0' || errno == ERANGE || !isfinite(level)) {
            return prism_error_set(err, "level %zu: expected a number, found '%s'",
                                   plan->n_levels + 1, items[i]);
        }
        if (prism_test_check_level(plan->kind, level, err) != 0) {
            return -1;
        }
        for (size_t j = 0; j < plan->n_levels; j++) {
            if (plan->levels[j] == level) {
                return prism_error_set(err, "level %g is listed twice", level);
            }
        }
        plan->levels[plan->n_levels++] = level;
    }
    return 0;
}
