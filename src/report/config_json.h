/* The experiment configuration and the build, as JSON objects, for every machine-readable
 * output. */
#ifndef PRISM_REPORT_CONFIG_JSON_H
#define PRISM_REPORT_CONFIG_JSON_H

#include <cjson/cJSON.h>

#include "experiment/config.h"

/* NULL when out of memory. */
cJSON *prism_config_to_json(const prism_experiment_config *config);
cJSON *prism_build_to_json(void);

/* A network spec as text: "784-10:layernorm:gelu-10". */
void prism_net_spec_format(const prism_net_spec *spec, char *out, size_t out_bytes);

#endif
