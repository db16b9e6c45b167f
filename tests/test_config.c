/* Tests of how an experiment is described: the layer-stack and site grammars, level lists, INI
 * config files (every kind of error names the file, line, section and key), command-line flags
 * applied over a file whatever their order, the shipped presets (each loads and passes
 * prism_config_check; article.ini is exactly the built-in default), and the dry-run estimate. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* The CLI's parser is not part of the library; compiling it in here is the one way to test
 * the order in which flags and files apply without running the executable. */
#include "cli/args.c"

#include "experiment/config.h"
#include "experiment/config_file.h"
#include "experiment/config_text.h"

#define SCRATCH PRISM_SCRATCH_DIR "/config"

/* Fails unless status is -1 and the message holds every string in the NULL-terminated list. */
static void expect_message(int status, const prism_error *err, ...)
{
    if (status == 0) {
        fail_msg("expected a failure, found success");
    }
    va_list args;
    va_start(args, err);
    for (const char *needle = va_arg(args, const char *); needle != NULL;
         needle = va_arg(args, const char *)) {
        if (strstr(err->message, needle) == NULL) {
            va_end(args);
            fail_msg("message does not contain '%s': %s", needle, err->message);
        }
    }
    va_end(args);
}

static void expect_ok(int status, const prism_error *err)
{
    if (status != 0) {
        fail_msg("expected success, found: %s", err->message);
    }
}

/* ---- Layer stacks ---- */

static void test_layers_valid(void **state)
{
    (void)state;
    prism_net_spec spec;
    prism_error err;

    expect_ok(prism_layers_parse("128:gelu,16:tanh", &spec, &err), &err);
    assert_int_equal(spec.n_hidden, 2);
    assert_int_equal(spec.inputs, 784);
    assert_int_equal(spec.classes, 10);
    assert_int_equal(spec.hidden[0].width, 128);
    assert_int_equal(spec.hidden[0].act.kind, PRISM_ACT_GELU);
    assert_int_equal(spec.hidden[0].norm, PRISM_NORM_LAYERNORM); /* the default */
    assert_int_equal(spec.hidden[1].width, 16);
    assert_int_equal(spec.hidden[1].act.kind, PRISM_ACT_TANH);

    /* A third field is a norm when it names one, else the parameter; a fourth is the norm. */
    expect_ok(prism_layers_parse(" 32 : leaky_relu : 0.2 , 8:elu:rmsnorm, 4:leaky_relu:0.05:none",
                                 &spec, &err), &err);
    assert_int_equal(spec.n_hidden, 3);
    assert_int_equal(spec.hidden[0].act.kind, PRISM_ACT_LEAKY_RELU);
    assert_float_equal(spec.hidden[0].act.param, 0.2f, 0.0f);
    assert_int_equal(spec.hidden[0].norm, PRISM_NORM_LAYERNORM);
    assert_int_equal(spec.hidden[1].act.kind, PRISM_ACT_ELU);
    assert_int_equal(spec.hidden[1].norm, PRISM_NORM_RMSNORM);
    assert_float_equal(spec.hidden[1].act.param,
                       prism_activation_describe(PRISM_ACT_ELU)->param_default, 0.0f);
    assert_int_equal(spec.hidden[2].norm, PRISM_NORM_NONE);
    assert_float_equal(spec.hidden[2].act.param, 0.05f, 0.0f);

    /* The article's network is "10:<act>". */
    expect_ok(prism_layers_parse("10:gelu", &spec, &err), &err);
    prism_net_spec article = prism_net_spec_article((prism_activation){PRISM_ACT_GELU, 0.0f});
    assert_int_equal(spec.n_hidden, article.n_hidden);
    assert_int_equal(spec.hidden[0].width, article.hidden[0].width);
    assert_int_equal(spec.hidden[0].norm, article.hidden[0].norm);
    assert_int_equal(spec.hidden[0].act.kind, article.hidden[0].act.kind);

    /* The widest and deepest stacks the engine takes. */
    expect_ok(prism_layers_parse("4096:relu", &spec, &err), &err);
    expect_ok(prism_layers_parse("1:tanh,2:tanh,3:tanh,4:tanh,5:tanh,6:tanh,7:tanh,8:tanh", &spec,
                                 &err), &err);
    assert_int_equal(spec.n_hidden, PRISM_MAX_HIDDEN_LAYERS);
}

static void test_layers_format_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {"128:gelu,16:tanh", "32:leaky_relu:0.2:none,8:elu:rmsnorm",
                           "10:relu", "7:softplus:2:layernorm"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        prism_net_spec spec;
        prism_net_spec again;
        prism_error err;
        char canonical[512];
        expect_ok(prism_layers_parse(texts[i], &spec, &err), &err);
        prism_layers_format(&spec, canonical, sizeof canonical);
        expect_ok(prism_layers_parse(canonical, &again, &err), &err);
        assert_memory_equal(&spec, &again, sizeof spec);
    }

    prism_net_spec spec;
    prism_error err;
    char text[256];
    expect_ok(prism_layers_parse("64:gelu,16:leaky_relu:0.1:none", &spec, &err), &err);
    assert_string_equal(prism_layers_format(&spec, text, sizeof text),
                        "64:gelu:layernorm,16:leaky_relu:0.1:none");
    /* Names hold no comma: they go unquoted into CSV files. */
    assert_string_equal(prism_layers_name(&spec, text, sizeof text),
                        "64:gelu/16:leaky_relu:0.1:none");

    /* Output cut short stays terminated. */
    char small[8];
    prism_layers_format(&spec, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

static void test_layers_invalid(void **state)
{
    (void)state;
    prism_net_spec spec;
    prism_error err;
    expect_message(prism_layers_parse("", &spec, &err), &err, "found nothing", NULL);
    expect_message(prism_layers_parse("64:gelu,,16:tanh", &spec, &err), &err,
                   "layer 2 is empty", NULL);
    expect_message(prism_layers_parse("64:gelu,", &spec, &err), &err, "layer 2 is empty", NULL);
    expect_message(prism_layers_parse("64", &spec, &err), &err, "layer 1 '64'",
                   "WIDTH:ACT[:PARAM][:NORM]", NULL);
    expect_message(prism_layers_parse("64:gelu:layernorm:x:y", &spec, &err), &err,
                   "WIDTH:ACT[:PARAM][:NORM]", NULL);
    expect_message(prism_layers_parse("0:gelu", &spec, &err), &err, "width",
                   "1..4096", "'0'", NULL);
    expect_message(prism_layers_parse("4097:gelu", &spec, &err), &err, "width", "'4097'", NULL);
    expect_message(prism_layers_parse("1.5:gelu", &spec, &err), &err, "width", NULL);
    expect_message(prism_layers_parse("-3:gelu", &spec, &err), &err, "width", NULL);
    expect_message(prism_layers_parse("16:swish", &spec, &err), &err, "layer 1 '16:swish'",
                   "unknown activation 'swish'", NULL);
    expect_message(prism_layers_parse("16:tanh,8:gelu:bogus", &spec, &err), &err, "layer 2",
                   "'bogus' is neither a normalisation", NULL);
    expect_message(prism_layers_parse("16:leaky_relu:abc", &spec, &err), &err, "layer 1",
                   "expected a number", NULL);
    expect_message(prism_layers_parse("16:leaky_relu:5", &spec, &err), &err, "parameter",
                   "found 5", NULL);
    expect_message(prism_layers_parse("16:gelu:0.1:none", &spec, &err), &err,
                   "takes no parameter", NULL);
    expect_message(prism_layers_parse("16:leaky_relu:0.1:batchnorm", &spec, &err), &err,
                   "unknown normalisation 'batchnorm'", NULL);
    expect_message(prism_layers_parse("1:a,2:a,3:a,4:a,5:a,6:a,7:a,8:a,9:a", &spec, &err), &err,
                   "at most 8 hidden layers", NULL);

    /* spec is left alone on failure. */
    expect_ok(prism_layers_parse("12:tanh", &spec, &err), &err);
    assert_int_not_equal(prism_layers_parse("12:tanh,0:gelu", &spec, &err), 0);
    assert_int_equal(spec.n_hidden, 1);
}

/* ---- Sites and levels ---- */

static void test_site_grammar(void **state)
{
    (void)state;
    prism_site site;
    prism_error err;
    char text[64];
    expect_ok(prism_site_text_parse("1:pre_norm", &site, &err), &err);
    assert_int_equal(site.layer, 0);
    assert_int_equal(site.kind, PRISM_SITE_PRE_NORM);
    expect_ok(prism_site_text_parse(" 2 : post_act ", &site, &err), &err);
    assert_int_equal(site.layer, 1);
    assert_int_equal(site.kind, PRISM_SITE_POST_ACT);
    assert_string_equal(prism_site_text_format(&site, text, sizeof text), "2:post_act");

    expect_message(prism_site_text_parse("pre_norm", &site, &err), &err, "LAYER:POSITION", NULL);
    expect_message(prism_site_text_parse("0:pre_norm", &site, &err), &err, "layer", "'0'", NULL);
    expect_message(prism_site_text_parse("9:pre_norm", &site, &err), &err, "1..8", NULL);
    expect_message(prism_site_text_parse("1:middle", &site, &err), &err,
                   "unknown site 'middle'", NULL);
    expect_message(prism_site_text_parse("1:pre_norm:x", &site, &err), &err, "LAYER:POSITION",
                   NULL);
}

static void test_levels(void **state)
{
    (void)state;
    prism_error err;
    prism_test_plan plan = {.kind = PRISM_TEST_LOBOTOMY};
    expect_ok(prism_levels_parse("0, 0.3,0.5 ", &plan, &err), &err);
    assert_int_equal(plan.n_levels, 3);
    assert_true(plan.levels[1] == 0.3);
    expect_ok(prism_levels_parse("0.7", &plan, &err), &err); /* appends */
    assert_int_equal(plan.n_levels, 4);

    plan = (prism_test_plan){.kind = PRISM_TEST_LOBOTOMY};
    expect_message(prism_levels_parse("0, 1.0", &plan, &err), &err, "lobotomy level 1", NULL);
    plan = (prism_test_plan){.kind = PRISM_TEST_SPIKE};
    expect_message(prism_levels_parse("1.5", &plan, &err), &err, "spike level 1.5", NULL);
    plan = (prism_test_plan){.kind = PRISM_TEST_NOISE};
    expect_ok(prism_levels_parse("0, 10", &plan, &err), &err);
    plan = (prism_test_plan){.kind = PRISM_TEST_NOISE};
    expect_message(prism_levels_parse("-1", &plan, &err), &err, "noise level -1", NULL);
    expect_message(prism_levels_parse("0.5, abc", &plan, &err), &err, "expected a number",
                   "'abc'", NULL);
    plan = (prism_test_plan){.kind = PRISM_TEST_NOISE};
    expect_message(prism_levels_parse("nan", &plan, &err), &err, "expected a number", NULL);
    plan = (prism_test_plan){.kind = PRISM_TEST_NOISE};
    expect_message(prism_levels_parse("0.5, 0.5", &plan, &err), &err, "listed twice", NULL);
    plan = (prism_test_plan){.kind = PRISM_TEST_NOISE};
    expect_message(prism_levels_parse("0,,1", &plan, &err), &err, "empty", NULL);
}

/* ---- INI text ---- */

static int apply_text(const char *text, prism_experiment_config *config, prism_error *err)
{
    return prism_config_text_apply("t.ini", text, strlen(text), config, err);
}

static void test_ini_full(void **state)
{
    (void)state;
    const char *text = "; a comment\n"
                       "# another\n"
                       "[experiment]\n"
                       "dataset = fashion-mnist\n"
                       "runs = 7   ; inline comment\n"
                       "seed = 18446744073709551615\n"
                       "design = paired\n"
                       "threads = 3\n"
                       "masks = 25\n"
                       "confidence = 0.99\n"
                       "\n"
                       "[training]\r\n"
                       "epochs = 2\r\n"
                       "batch = 100\n"
                       "lr = 1e-3\n"
                       "[model wide-gelu]\n"
                       "layers = 64:gelu,\n"
                       "         16:tanh:rmsnorm\n"
                       "[model small]\n"
                       "layers = 8:leaky_relu:0.1:none\n"
                       "[stress]\n"
                       "site = 1:post_act\n"
                       "[test noise]\n"
                       "levels = 0, 0.5\n"
                       "   1, 2\n"
                       "[test spike]\n"
                       "levels = 0.9\n";
    prism_experiment_config c;
    prism_config_article(&c);
    prism_error err;
    expect_ok(apply_text(text, &c, &err), &err);
    assert_string_equal(c.dataset, "fashion-mnist");
    assert_int_equal(c.runs, 7);
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.design, PRISM_DESIGN_PAIRED);
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.masks, 25);
    assert_true(c.confidence == 0.99);
    assert_int_equal(c.train.epochs, 2);
    assert_int_equal(c.train.batch, 100);
    assert_true(c.train.lr == 1e-3);

    assert_int_equal(c.n_variants, 2);
    assert_string_equal(c.variants[0].name, "wide-gelu");
    assert_int_equal(c.variants[0].spec.n_hidden, 2);
    assert_int_equal(c.variants[0].spec.hidden[1].norm, PRISM_NORM_RMSNORM);
    assert_string_equal(c.variants[1].name, "small");
    assert_int_equal(c.variants[1].spec.hidden[0].norm, PRISM_NORM_NONE);

    assert_int_equal(c.site.layer, 0);
    assert_int_equal(c.site.kind, PRISM_SITE_POST_ACT);
    assert_int_equal(c.n_tests, 2);
    assert_int_equal(c.tests[0].kind, PRISM_TEST_NOISE);
    assert_int_equal(c.tests[0].n_levels, 4);
    assert_true(c.tests[0].levels[3] == 2.0);
    assert_int_equal(c.tests[1].kind, PRISM_TEST_SPIKE);
    assert_int_equal(c.tests[1].n_levels, 1);
}

static void test_ini_partial_keeps_the_rest(void **state)
{
    (void)state;
    prism_experiment_config c;
    prism_experiment_config article;
    prism_config_article(&c);
    prism_config_article(&article);
    prism_error err;
    expect_ok(apply_text("[experiment]\nruns = 3\n[model x]\nlayers = 32:tanh\n", &c, &err),
              &err);
    assert_int_equal(c.runs, 3);
    assert_int_equal(c.n_variants, 1);
    assert_string_equal(c.variants[0].name, "x");
    /* Untouched: training, tests, site. */
    assert_memory_equal(&c.train, &article.train, sizeof c.train);
    assert_int_equal(c.n_tests, article.n_tests);
    assert_memory_equal(c.tests, article.tests, sizeof c.tests);

    /* An empty file changes nothing. */
    prism_config_article(&c);
    expect_ok(apply_text("", &c, &err), &err);
    assert_memory_equal(&c, &article, sizeof c);
}

/* One malformed file: the message names label, line, section and key where they exist, and the
 * configuration stays as it was. */
typedef struct ini_case {
    const char *text;
    const char *needles[5];
} ini_case;

static void test_ini_errors(void **state)
{
    (void)state;
    static const ini_case cases[] = {
        {"[experiment]\nruns = 3\n[bogus]\nx = 1\n",
         {"t.ini:3:", "unknown section [bogus]", NULL}},
        {"[bogus]\n", {"t.ini:1:", "unknown section [bogus]", NULL}},
        {"[experiment]\nepochs = 3\n", {"t.ini:2:", "[experiment] epochs", "unknown key", NULL}},
        {"[training]\nepochs = 3\nepochs = 4\n",
         {"t.ini:3:", "[training] epochs", "given twice", "line 2", NULL}},
        {"[training]\nepochs = 3\n[training]\n", {"t.ini:3:", "appears twice", NULL}},
        {"runs = 3\n", {"t.ini:1:", "runs", "before any [section]", NULL}},
        {"[experiment]\nruns = many\n",
         {"t.ini:2:", "[experiment] runs", "whole number", "'many'", NULL}},
        {"[experiment]\nruns = 0\n", {"t.ini:2:", "[experiment] runs", "'0'", NULL}},
        {"[experiment]\nruns =\n", {"t.ini:2:", "[experiment] runs", NULL}},
        {"[experiment]\nmasks = 0\n", {"t.ini:2:", "[experiment] masks", "1..1000", NULL}},
        {"[experiment]\nseed = -1\n", {"t.ini:2:", "[experiment] seed", NULL}},
        {"[experiment]\ndesign = crossed\n", {"t.ini:2:", "[experiment] design", "crossed", NULL}},
        {"[experiment]\nconfidence = 1\n", {"t.ini:2:", "[experiment] confidence", NULL}},
        {"[training]\nlr = 0\n", {"t.ini:2:", "[training] lr", NULL}},
        {"[training]\nbatch = 1e3\n", {"t.ini:2:", "[training] batch", NULL}},
        {"[stress]\nsite = 1:middle\n", {"t.ini:2:", "[stress] site", "middle", NULL}},
        {"[stress]\nposition = pre_norm\n", {"t.ini:2:", "[stress] position", "unknown key",
                                             NULL}},
        {"[model a]\nlayers = 10:tanh\n[stress]\nsite = 2:pre_norm\n",
         {"t.ini:4:", "[stress] site", "layer 2 does not exist in model 'a'", NULL}},
        {"[model a]\nlayers = 10:swish\n",
         {"t.ini:2:", "[model a] layers", "unknown activation 'swish'", NULL}},
        {"[model a]\nlayers = 10:tanh,\n  0:gelu\n",
         {"t.ini:2:", "[model a] layers", "lines 2-3", "width", NULL}},
        {"[model a]\nwidth = 10\n", {"t.ini:2:", "[model a] width", "expected layers", NULL}},
        {"[model a]\n\n[model b]\nlayers = 10:relu\n",
         {"t.ini:1:", "[model a]", "no 'layers' key", NULL}},
        {"[model a]\nlayers = 10:relu\n[model a]\nlayers = 10:tanh\n",
         {"t.ini:3:", "model 'a' is defined twice", "line 1", NULL}},
        {"[model]\nlayers = 10:relu\n", {"t.ini:1:", "expected [model NAME]", NULL}},
        {"[model a,b]\nlayers = 10:relu\n", {"t.ini:1:", "model name 'a,b'", NULL}},
        {"[model a b]\nlayers = 10:relu\n", {"t.ini:1:", "model name 'a b'", NULL}},
        {"[experiment x]\n", {"t.ini:1:", "without a name", NULL}},
        {"[test warp]\nlevels = 0\n", {"t.ini:1:", "unknown test 'warp'", NULL}},
        {"[test lobotomy]\nlevels = 0, 1.2\n",
         {"t.ini:2:", "[test lobotomy] levels", "lobotomy level 1.2", NULL}},
        {"[test spike]\nlevels = 0, 1.5\n", {"t.ini:2:", "[test spike] levels", "1.5", NULL}},
        {"[test noise]\nlevels = 0, -1\n", {"t.ini:2:", "[test noise] levels", NULL}},
        {"[test noise]\nlevels = 0, x\n", {"t.ini:2:", "[test noise] levels", "'x'", NULL}},
        {"[test noise]\nsigma = 1\n", {"t.ini:2:", "[test noise] sigma", "unknown key", NULL}},
        {"[test noise]\n", {"t.ini:1:", "[test noise]", "no 'levels' key", NULL}},
        {"[test noise]\nlevels = 0\n[test noise]\nlevels = 1\n",
         {"t.ini:3:", "test 'noise' is given twice", NULL}},
        {"[experiment]\nruns = 3\n  4\n",
         {"t.ini:3:", "[experiment] runs", "only the lists", NULL}},
        {"[experiment]\nruns 3\n", {"t.ini:2:", "expected 'key = value'", NULL}},
        {"[experiment\nruns = 3\n", {"t.ini:1:", "without ']'", NULL}},
        {"[experiment] runs = 3\n", {"t.ini:1:", "unexpected text after the section header",
                                     NULL}},
        {"[test spike]\nlevels = 0.5\n[model one]\nlayers = 1:tanh\n",
         {"t.ini", "spike", "width >= 2", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        prism_experiment_config c;
        prism_experiment_config article;
        prism_config_article(&c);
        prism_config_article(&article);
        prism_error err = {{0}};
        int status = apply_text(cases[i].text, &c, &err);
        if (status == 0) {
            fail_msg("case %zu: expected a failure for:\n%s", i, cases[i].text);
        }
        for (size_t n = 0; n < 5 && cases[i].needles[n] != NULL; n++) {
            if (strstr(err.message, cases[i].needles[n]) == NULL) {
                fail_msg("case %zu: message does not contain '%s': %s", i, cases[i].needles[n],
                         err.message);
            }
        }
        assert_memory_equal(&c, &article, sizeof c); /* untouched on failure */
    }
}

static void test_ini_limits(void **state)
{
    (void)state;
    prism_experiment_config c;
    prism_error err;

    /* A line longer than the INI reader takes is refused, not cut in two. */
    char text[600];
    int n = snprintf(text, sizeof text, "[test noise]\nlevels = 0");
    while (n < 400) {
        n += snprintf(text + n, sizeof text - (size_t)n, ", 0.%d", n);
    }
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    prism_config_article(&c);
    expect_message(apply_text(text, &c, &err), &err, "t.ini:2:", "longer than", NULL);

    /* A NUL byte means this is not a text file. */
    prism_config_article(&c);
    static const char binary[] = "[experiment]\nruns = 3\0\n";
    expect_message(prism_config_text_apply("t.ini", binary, sizeof binary - 1, &c, &err), &err,
                   "NUL", NULL);

    /* Thirty-three models are one too many. */
    char many[4096];
    size_t used = 0;
    for (int m = 0; m <= PRISM_MAX_VARIANTS; m++) {
        used += (size_t)snprintf(many + used, sizeof many - used, "[model m%d]\nlayers = 4:relu\n",
                                 m);
    }
    prism_config_article(&c);
    expect_message(apply_text(many, &c, &err), &err, "at most 32 models", NULL);

    /* A byte order mark is fine. */
    prism_config_article(&c);
    expect_ok(apply_text("\xEF\xBB\xBF[experiment]\nruns = 4\n", &c, &err), &err);
    assert_int_equal(c.runs, 4);
}

/* ---- Files, flags and presets ---- */

static void write_file(const char *path, const char *text)
{
    mkdir(PRISM_SCRATCH_DIR, 0755);
    mkdir(SCRATCH, 0755);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

static int parse_args(prism_run_options *options, prism_error *err, ...)
{
    char *argv[32] = {"prism", "run"};
    int argc = 2;
    va_list args;
    va_start(args, err);
    for (char *arg = va_arg(args, char *); arg != NULL && argc < 32; arg = va_arg(args, char *)) {
        argv[argc++] = arg;
    }
    va_end(args);
    return prism_parse_run_args(argc, argv, 2, options, err);
}

static void test_file_then_flags(void **state)
{
    (void)state;
    const char *path = SCRATCH "/flags.ini";
    write_file(path, "[experiment]\nruns = 9\nmasks = 4\n[training]\nepochs = 5\n"
                     "[model gelu-tanh]\nlayers = 64:gelu,16:tanh\n"
                     "[model tanh-tanh]\nlayers = 64:tanh,16:tanh\n"
                     "[stress]\nsite = 2:pre_norm\n");
    prism_run_options o;
    prism_error err;

    /* The file alone. */
    expect_ok(parse_args(&o, &err, "--config", path, NULL), &err);
    assert_int_equal(o.config.runs, 9);
    assert_int_equal(o.config.masks, 4);
    assert_string_equal(o.config.source, path);
    assert_string_equal(o.config.preset, "flags");

    /* Flags win whether they come before or after the file. */
    expect_ok(parse_args(&o, &err, "--runs", "2", "--masks=7", "--config", path, "--epochs", "3",
                         NULL), &err);
    assert_int_equal(o.config.runs, 2);
    assert_int_equal(o.config.masks, 7);
    assert_int_equal(o.config.train.epochs, 3);
    assert_int_equal(o.config.n_variants, 2);

    /* --activations keeps the models' common shape, one model per activation. */
    expect_ok(parse_args(&o, &err, "--activations", "relu,elu:0.5", "--config", path, NULL),
              &err);
    assert_int_equal(o.config.n_variants, 2);
    assert_string_equal(o.config.variants[1].name, "elu:0.5");
    assert_int_equal(o.config.variants[1].spec.n_hidden, 2);
    assert_int_equal(o.config.variants[1].spec.hidden[0].width, 64);
    assert_int_equal(o.config.variants[1].spec.hidden[1].act.kind, PRISM_ACT_ELU);
    assert_int_equal(o.config.site.layer, 1);

    /* --layers replaces the models; the file's site no longer fits, and --layers is named. */
    expect_message(parse_args(&o, &err, "--config", path, "--layers", "10:gelu", NULL), &err,
                   "--layers", "2:pre_norm", "does not exist", "--site", NULL);
    expect_ok(parse_args(&o, &err, "--config", path, "--layers", "10:gelu", "--site",
                         "1:post_norm", NULL), &err);
    assert_int_equal(o.config.n_variants, 1);
    assert_string_equal(o.config.variants[0].name, "10:gelu");

    /* --layers with --activations: the shape times the activations. */
    expect_ok(parse_args(&o, &err, "--layers", "32:relu,8:relu:none", "--activations",
                         "tanh,gelu", NULL), &err);
    assert_int_equal(o.config.n_variants, 2);
    assert_string_equal(o.config.variants[0].name, "tanh");
    assert_int_equal(o.config.variants[0].spec.hidden[1].act.kind, PRISM_ACT_TANH);
    assert_int_equal(o.config.variants[0].spec.hidden[1].norm, PRISM_NORM_NONE);

    /* --hidden changes a one-layer shape and refuses a deeper one. */
    expect_ok(parse_args(&o, &err, "--hidden", "32", NULL), &err);
    assert_int_equal(o.config.variants[2].spec.hidden[0].width, 32);
    expect_message(parse_args(&o, &err, "--config", path, "--hidden", "32", NULL), &err,
                   "--hidden", "has 2", NULL);
    expect_message(parse_args(&o, &err, "--layers", "8:tanh", "--hidden", "32", NULL), &err,
                   "--hidden", "--layers", NULL);

    /* Errors name the flag. */
    expect_message(parse_args(&o, &err, "--masks", "0", NULL), &err, "--masks", NULL);
    expect_message(parse_args(&o, &err, "--site", "2:pre_norm", NULL), &err, "--site",
                   "layer 2 does not exist in model 'relu'", NULL);
    expect_message(parse_args(&o, &err, "--layers", "8:tanh:x", NULL), &err, "--layers", NULL);
    expect_message(parse_args(&o, &err, "--config", SCRATCH "/missing.ini", NULL), &err,
                   "--config", "missing.ini", "cannot open", NULL);
    expect_message(parse_args(&o, &err, "--config", path, "--preset", "article", NULL), &err,
                   "--config and --preset", NULL);
    expect_message(parse_args(&o, &err, "--preset", "no-such-preset", NULL), &err, "--preset",
                   "unknown preset 'no-such-preset'", "article", NULL);
    expect_message(parse_args(&o, &err, "--preset", "../presets/article", NULL), &err,
                   "--preset", NULL);

    /* A bad file names --config, the file and the line. */
    const char *bad = SCRATCH "/bad.ini";
    write_file(bad, "[experiment]\nruns = 2\n[test lobotomy]\nlevels = 0, 1\n");
    expect_message(parse_args(&o, &err, "--config", bad, NULL), &err, "--config", "bad.ini:4:",
                   "[test lobotomy] levels", NULL);

    /* --dry-run is recorded, not acted on. */
    expect_ok(parse_args(&o, &err, "--dry-run", NULL), &err);
    assert_true(o.dry_run);
}

/* Field by field, so that padding and the recorded file name do not matter. */
static void assert_same_experiment(const prism_experiment_config *a,
                                   const prism_experiment_config *b)
{
    assert_string_equal(a->dataset, b->dataset);
    assert_int_equal(a->runs, b->runs);
    assert_int_equal(a->masks, b->masks);
    assert_int_equal(a->train.epochs, b->train.epochs);
    assert_int_equal(a->train.batch, b->train.batch);
    assert_true(a->train.lr == b->train.lr);
    assert_int_equal(a->n_variants, b->n_variants);
    for (size_t v = 0; v < a->n_variants; v++) {
        const prism_net_spec *x = &a->variants[v].spec;
        const prism_net_spec *y = &b->variants[v].spec;
        assert_string_equal(a->variants[v].name, b->variants[v].name);
        assert_int_equal(x->inputs, y->inputs);
        assert_int_equal(x->classes, y->classes);
        assert_int_equal(x->n_hidden, y->n_hidden);
        for (size_t l = 0; l < x->n_hidden; l++) {
            assert_int_equal(x->hidden[l].width, y->hidden[l].width);
            assert_int_equal(x->hidden[l].norm, y->hidden[l].norm);
            assert_int_equal(x->hidden[l].act.kind, y->hidden[l].act.kind);
            assert_true(x->hidden[l].act.param == y->hidden[l].act.param);
        }
    }
    assert_int_equal(a->n_tests, b->n_tests);
    for (size_t t = 0; t < a->n_tests; t++) {
        assert_int_equal(a->tests[t].kind, b->tests[t].kind);
        assert_int_equal(a->tests[t].n_levels, b->tests[t].n_levels);
        for (size_t j = 0; j < a->tests[t].n_levels; j++) {
            assert_true(a->tests[t].levels[j] == b->tests[t].levels[j]);
        }
    }
    assert_int_equal(a->site.layer, b->site.layer);
    assert_int_equal(a->site.kind, b->site.kind);
    assert_int_equal(a->design, b->design);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->threads, b->threads);
    assert_true(a->confidence == b->confidence);
}

static void test_presets_load(void **state)
{
    (void)state;
    prism_preset_info *presets = NULL;
    size_t count = 0;
    prism_error err;
    expect_ok(prism_preset_list(prism_preset_dir(), &presets, &count, &err), &err);

    const char *expected[] = {"article", "deep", "fashion", "hybrid", "wide"};
    size_t found = 0;
    for (size_t i = 0; i < count; i++) {
        prism_experiment_config c;
        prism_config_article(&c);
        if (prism_config_file_apply(presets[i].path, &c, &err) != 0) {
            fail_msg("preset %s: %s", presets[i].name, err.message);
        }
        if (prism_config_check(&c, &err) != 0) {
            fail_msg("preset %s: %s", presets[i].name, err.message);
        }
        assert_string_equal(c.preset, presets[i].name);
        if (presets[i].description[0] == '\0') {
            fail_msg("preset %s has no description (first comment line)", presets[i].name);
        }
        for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++) {
            found += strcmp(presets[i].name, expected[e]) == 0;
        }
    }
    assert_int_equal(found, sizeof expected / sizeof expected[0]);
    free(presets);
}

static void test_article_preset_is_the_default(void **state)
{
    (void)state;
    prism_error err;
    char path[PATH_MAX];
    expect_ok(prism_preset_path(prism_preset_dir(), "article", path, sizeof path, &err), &err);

    /* Applied over something that differs everywhere, so every value must come from the file. */
    prism_experiment_config from_file;
    prism_config_article(&from_file);
    const char *scramble = "[experiment]\ndataset = x\nruns = 2\nseed = 9\ndesign = paired\n"
                           "threads = 5\nmasks = 3\nconfidence = 0.9\n"
                           "[training]\nepochs = 1\nbatch = 7\nlr = 0.1\n"
                           "[model q]\nlayers = 3:elu,4:selu\n[stress]\nsite = 2:post_act\n"
                           "[test noise]\nlevels = 7\n";
    expect_ok(apply_text(scramble, &from_file, &err), &err);
    expect_ok(prism_config_file_apply(path, &from_file, &err), &err);

    prism_experiment_config builtin;
    prism_config_article(&builtin);
    assert_same_experiment(&from_file, &builtin);
    assert_string_equal(from_file.preset, builtin.preset);

    /* And through the command line: --preset article gives the default too. */
    prism_run_options o;
    expect_ok(parse_args(&o, &err, "--preset", "article", NULL), &err);
    assert_same_experiment(&o.config, &builtin);
    expect_ok(parse_args(&o, &err, NULL), &err);
    assert_same_experiment(&o.config, &builtin);
    assert_string_equal(o.config.source, ""); /* no file read without --preset */
}

static void test_hybrid_preset_compares_equal_sizes(void **state)
{
    (void)state;
    prism_error err;
    char path[PATH_MAX];
    prism_experiment_config c;
    prism_config_article(&c);
    expect_ok(prism_preset_path(prism_preset_dir(), "hybrid", path, sizeof path, &err), &err);
    expect_ok(prism_config_file_apply(path, &c, &err), &err);
    assert_true(c.n_variants >= 3);
    size_t params = prism_net_param_count(&c.variants[0].spec);
    for (size_t v = 0; v < c.n_variants; v++) {
        assert_int_equal(prism_net_param_count(&c.variants[v].spec), params);
        assert_int_equal(c.variants[v].spec.hidden[1].width, 16);
    }
    assert_int_equal(c.site.layer, 1);
    assert_int_equal(c.site.kind, PRISM_SITE_PRE_NORM);
}

/* ---- Shapes and the estimate ---- */

static void test_common_shape(void **state)
{
    (void)state;
    prism_experiment_config c;
    prism_config_article(&c);
    prism_error err;
    prism_net_spec shape;
    expect_ok(prism_config_common_shape(&c, &shape, &err), &err);
    assert_int_equal(shape.hidden[0].width, 10);

    expect_ok(apply_text("[model a]\nlayers = 8:relu\n[model b]\nlayers = 9:relu\n", &c, &err),
              &err);
    expect_message(prism_config_common_shape(&c, &shape, &err), &err, "'a' and 'b'", NULL);

    /* A duplicate activation leaves the variants as they were. */
    prism_config_article(&c);
    const prism_activation acts[] = {{PRISM_ACT_TANH, 0.0f}, {PRISM_ACT_TANH, 0.0f}};
    expect_message(prism_config_set_shape_activations(&c, &shape, acts, 2, &err), &err,
                   "listed twice", NULL);
    assert_int_equal(c.n_variants, 3);
    assert_string_equal(c.variants[0].name, "relu");
}

static void test_estimate(void **state)
{
    (void)state;
    prism_experiment_config c;
    prism_config_article(&c);
    c.threads = 2;
    prism_config_cost cost;
    prism_config_estimate(&c, 60000, 10000, &cost);
    assert_int_equal(cost.models, 60);
    assert_int_equal(cost.evaluations, 60 * 15); /* 3 tests x 5 levels, one mask each */
    assert_int_equal(cost.threads, 2);
    size_t macs = 784 * 10 + 10 * 10;
    assert_int_equal(prism_net_spec_macs(&c.variants[0].spec), macs);
    assert_true(cost.train_flops > 6.0 * 60 * macs * 60000.0 * 12);
    assert_true(cost.seconds > 0.0);

    /* Masks multiply the stressed evaluations only (level 0 has no mask). */
    c.masks = 10;
    prism_config_estimate(&c, 60000, 10000, &cost);
    assert_int_equal(cost.evaluations, 60 * (3 + 12 * 10));

    /* Twice the runs, twice the time; twice the threads, half. */
    prism_config_cost more;
    c.runs = 40;
    prism_config_estimate(&c, 60000, 10000, &more);
    assert_true(fabs(more.seconds - 2.0 * cost.seconds) < 1e-9 * cost.seconds);
    c.threads = 4;
    prism_config_estimate(&c, 60000, 10000, &more);
    assert_true(fabs(more.seconds - cost.seconds) < 1e-9 * cost.seconds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_valid),
        cmocka_unit_test(test_layers_format_round_trip),
        cmocka_unit_test(test_layers_invalid),
        cmocka_unit_test(test_site_grammar),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_ini_full),
        cmocka_unit_test(test_ini_partial_keeps_the_rest),
        cmocka_unit_test(test_ini_errors),
        cmocka_unit_test(test_ini_limits),
        cmocka_unit_test(test_file_then_flags),
        cmocka_unit_test(test_presets_load),
        cmocka_unit_test(test_article_preset_is_the_default),
        cmocka_unit_test(test_hybrid_preset_compares_equal_sizes),
        cmocka_unit_test(test_common_shape),
        cmocka_unit_test(test_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
