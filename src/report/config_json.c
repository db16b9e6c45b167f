#include "report/config_json.h"

#include <stdio.h>
#include <string.h>

#include "core/build_info.h"
#include "experiment/config_text.h"
#include "model/kernels.h"

void prism_net_spec_format(const prism_net_spec *spec, char *out, size_t out_bytes)
{
    size_t used = (size_t)snprintf(out, out_bytes, "%zu", spec->inputs);
    for (size_t l = 0; l < spec->n_hidden && used < out_bytes; l++) {
        char act[64];
        prism_activation_format(&spec->hidden[l].act, act, sizeof act);
        used += (size_t)snprintf(out + used, out_bytes - used, "-%zu:%s:%s",
                                 spec->hidden[l].width, prism_norm_name(spec->hidden[l].norm),
                                 act);
    }
    if (used < out_bytes) {
        snprintf(out + used, out_bytes - used, "-%zu", spec->classes);
    }
}

static cJSON *variants_to_json(const prism_experiment_config *config)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t v = 0; list != NULL && v < config->n_variants; v++) {
        const prism_net_spec *spec = &config->variants[v].spec;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(list, item);
        cJSON_AddStringToObject(item, "name", config->variants[v].name);
        char text[512];
        prism_net_spec_format(spec, text, sizeof text);
        cJSON_AddStringToObject(item, "network", text);
        char layers_text[1024];
        prism_layers_format(spec, layers_text, sizeof layers_text);
        cJSON_AddStringToObject(item, "layers", layers_text); /* as --layers takes it */
        cJSON_AddNumberToObject(item, "parameters", (double)prism_net_param_count(spec));
        cJSON *layers = cJSON_AddArrayToObject(item, "hidden_layers");
        for (size_t l = 0; l < spec->n_hidden; l++) {
            cJSON *layer = cJSON_CreateObject();
            cJSON_AddItemToArray(layers, layer);
            char act[64];
            prism_activation_format(&spec->hidden[l].act, act, sizeof act);
            cJSON_AddNumberToObject(layer, "width", (double)spec->hidden[l].width);
            cJSON_AddStringToObject(layer, "norm", prism_norm_name(spec->hidden[l].norm));
            cJSON_AddStringToObject(layer, "activation", act);
        }
    }
    return list;
}

static cJSON *tests_to_json(const prism_experiment_config *config)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t t = 0; list != NULL && t < config->n_tests; t++) {
        const prism_test_plan *plan = &config->tests[t];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(list, item);
        cJSON_AddStringToObject(item, "test", prism_test_name(plan->kind));
        cJSON_AddItemToObject(item, "levels",
                              cJSON_CreateDoubleArray(plan->levels, (int)plan->n_levels));
    }
    return list;
}

cJSON *prism_config_to_json(const prism_experiment_config *config)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL) {
        return NULL;
    }
    cJSON_AddStringToObject(root, "preset", config->preset);
    if (config->source[0] != '\0') {
        cJSON_AddStringToObject(root, "config_file", config->source);
    } else {
        cJSON_AddNullToObject(root, "config_file"); /* the built-in article configuration */
    }
    cJSON_AddStringToObject(root, "dataset", config->dataset);
    cJSON_AddNumberToObject(root, "runs", (double)config->runs);
    cJSON_AddNumberToObject(root, "masks", (double)config->masks);
    cJSON_AddNumberToObject(root, "epochs", (double)config->train.epochs);
    cJSON_AddNumberToObject(root, "batch", (double)config->train.batch);
    cJSON_AddNumberToObject(root, "lr", config->train.lr);
    cJSON_AddStringToObject(root, "optimizer", "adam(beta1=0.9, beta2=0.999, eps=1e-8)");
    cJSON_AddItemToObject(root, "models", variants_to_json(config));
    cJSON_AddItemToObject(root, "tests", tests_to_json(config));

    cJSON *site = cJSON_AddObjectToObject(root, "site");
    cJSON_AddNumberToObject(site, "layer", (double)config->site.layer + 1);
    cJSON_AddStringToObject(site, "position", prism_site_name(config->site.kind));
    char site_text[64];
    cJSON_AddStringToObject(site, "text", prism_site_text_format(&config->site, site_text,
                                                                 sizeof site_text));

    cJSON_AddStringToObject(root, "design", prism_design_name(config->design));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)config->seed);
    cJSON_AddStringToObject(root, "seed", seed); /* as text: JSON numbers lose 64-bit seeds */
    cJSON_AddNumberToObject(root, "threads", (double)config->threads);
    cJSON *estimators = cJSON_AddObjectToObject(root, "estimators");
    cJSON_AddStringToObject(estimators, "sd", "sample standard deviation (n - 1)");
    cJSON_AddStringToObject(estimators, "interval", "Student t interval of the mean");
    cJSON_AddNumberToObject(estimators, "confidence", config->confidence);
    return root;
}

cJSON *prism_build_to_json(void)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL) {
        return NULL;
    }
    cJSON_AddStringToObject(root, "prism_version", PRISM_VERSION);
    cJSON_AddStringToObject(root, "compiler", PRISM_COMPILER);
    cJSON_AddStringToObject(root, "build_type", PRISM_BUILD_TYPE);
    cJSON_AddStringToObject(root, "compiler_flags", PRISM_BUILD_FLAGS);
    cJSON_AddStringToObject(root, "kernel_variant", prism_kernel_variant());
    return root;
}
