/* The text forms of configuration values, shared by the command line and config files: strict
 * numbers, lists of activations and levels, hidden-layer stacks and stress sites.
 *
 *   layers   := layer ("," layer)*             1 to PRISM_MAX_HIDDEN_LAYERS layers, input first
 *   layer    := WIDTH ":" ACT [":" PARAM] [":" NORM]
 *   WIDTH    := a whole number in 1..PRISM_MAX_WIDTH
 *   ACT      := an activation name, as 'prism list activations' shows
 *   PARAM    := the activation's parameter (a number), only for kinds that take one
 *   NORM     := layernorm | rmsnorm | none      default layernorm, as in the article
 *
 *   site     := LAYER ":" POSITION              LAYER counted from 1, the input side first
 *   POSITION := pre_norm | post_norm | post_act
 *
 * A layer's third field is the norm when it is one of the three norm names and the activation's
 * parameter otherwise; a name is never a number, so every item has exactly one reading. Spaces
 * around items and fields are ignored. Every parser fails with a message that names what was
 * expected and what was found; callers prefix the flag or the file, line and key. */
#ifndef PRISM_EXPERIMENT_CONFIG_TEXT_H
#define PRISM_EXPERIMENT_CONFIG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "experiment/config.h"
#include "model/activation.h"
#include "model/net.h"

/* The whole of text as a number in [min, max]; `what` starts the message. */
int prism_text_parse_size(const char *what, const char *text, size_t min, size_t max,
                          size_t *out, prism_error *err);
int prism_text_parse_double(const char *what, const char *text, double min, double max,
                            double *out, prism_error *err);
int prism_text_parse_u64(const char *what, const char *text, uint64_t *out, prism_error *err);

/* A hidden-layer stack into spec (784 inputs, 10 classes). spec is written only on success. */
int prism_layers_parse(const char *text, prism_net_spec *spec, prism_error *err);

/* The canonical text of spec's hidden layers, every field written: "64:gelu:layernorm,
 * 16:leaky_relu:0.2:none" (without the space). prism_layers_parse reads it back exactly. */
const char *prism_layers_format(const prism_net_spec *spec, char *out, size_t out_bytes);

/* A short name for a network given only by its layers: fields that hold their defaults left
 * out and layers joined by '/', since names go unquoted into CSV files ("64:gelu/16:tanh"). */
const char *prism_layers_name(const prism_net_spec *spec, char *out, size_t out_bytes);

/* A site "LAYER:POSITION" (layer from 1) into site (layer from 0). */
int prism_site_text_parse(const char *text, prism_site *site, prism_error *err);
const char *prism_site_text_format(const prism_site *site, char *out, size_t out_bytes);

/* A comma list of activations ("relu, leaky_relu:0.1"), at most `max`. */
int prism_activations_parse(const char *text, prism_activation *acts, size_t max, size_t *n,
                            prism_error *err);

/* A comma list of levels for one test: each a finite number valid for the test
 * (prism_test_check_level), no level twice, at most PRISM_MAX_LEVELS. Appends to plan, so a
 * list may arrive in pieces; plan->kind must be set. */
int prism_levels_parse(const char *text, prism_test_plan *plan, prism_error *err);

#endif
