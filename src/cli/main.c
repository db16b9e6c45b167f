/* prism: trains small networks that differ only in their activation, stresses a hidden layer
 * at test time, and reports how accuracy degrades. This file dispatches the subcommands. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/progress.h"
#include "core/build_info.h"
#include "data/dataset.h"
#include "experiment/config_file.h"
#include "experiment/config_text.h"
#include "experiment/experiment.h"
#include "model/kernels.h"
#include "report/output.h"
#include "report/atomic_file.h"
#include "report/report.h"

enum { EXIT_OK = 0, EXIT_FAILURE_RUNTIME = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static atomic_bool stop_requested;

/* The first Ctrl-C lets the models in progress finish and keeps every finished run; a second
 * one ends the process at once. */
static void on_signal(int signal_number)
{
    atomic_store(&stop_requested, true);
    signal(signal_number, SIG_DFL);
}

static void print_main_help(FILE *out)
{
    fprintf(out,
            "usage: prism <command> [options]\n"
            "\n"
            "Trains tiny networks that differ only in their activation function, disturbs a\n"
            "hidden layer at test time, and reports how accuracy degrades.\n"
            "\n"
            "commands:\n"
            "  run                 train and stress-test; prints one table per test\n"
            "  list activations    the activation functions and their output ranges\n"
            "  list presets        the shipped experiment presets, with a line on each\n"
            "  report DIR          rebuild comparisons, plots and report.md from the results\n"
            "                      that 'prism run --out DIR' stored, without training\n"
            "\n"
            "options:\n"
            "  --help, -h          this text ('prism run --help' for the run options)\n"
            "  --version           the version and build\n");
}

static void print_run_help(FILE *out)
{
    fprintf(out,
            "usage: prism run [options]\n"
            "\n"
            "Runs the experiment: for each run, trains one model per activation, then measures\n"
            "test accuracy under each stress test and level (level 0 = clean baseline).\n"
            "\n"
            "options (defaults are the article's; a preset or config file is applied first,\n"
            "then every other flag on top of it, wherever it stands):\n"
            "  --preset NAME        presets/NAME.ini: article (the default, built in), hybrid,\n"
            "                       wide, deep, fashion; see 'prism list presets'\n"
            "  --config FILE        an INI file of your own, same format (docs/config.md)\n"
            "  --dataset NAME|DIR   mnist (default), fashion-mnist, or a folder holding the\n"
            "                       four IDX files (raw or gzip)\n"
            "  --runs N             independent repetitions (20)\n"
            "  --epochs N           training epochs per model (12)\n"
            "  --batch N            mini-batch size (512)\n"
            "  --lr X               Adam learning rate (0.003)\n"
            "  --layers SPEC        the hidden layers, input side first: comma list of\n"
            "                       WIDTH:ACT[:PARAM][:NORM], NORM = layernorm (default),\n"
            "                       rmsnorm or none, e.g. 128:gelu,16:tanh or\n"
            "                       64:leaky_relu:0.1:rmsnorm; alone it defines one model\n"
            "  --hidden N           width of a one-hidden-layer network (10)\n"
            "  --activations LIST   one model per activation, each the network of --layers (or\n"
            "                       of the preset) with every hidden activation replaced, e.g.\n"
            "                       relu,tanh,gelu (the default) or leaky_relu:0.1,gelu_tanh;\n"
            "                       see 'prism list activations'\n"
            "  --site LAYER:POS     where the masks act: hidden layer from 1, POS = pre_norm\n"
            "                       (default, the article's 1:pre_norm), post_norm or post_act\n"
            "  --masks K            masks drawn per model and stressed level (1)\n"
            "  --design D           independent (default for the article: each model its own\n"
            "                       initial weights and data order) or paired (the models of\n"
            "                       a run share them)\n"
            "  --seed N             seed of every random stream (1)\n"
            "  --threads N          worker threads, 0 = one per processor (0); results do not\n"
            "                       depend on it\n"
            "  --out DIR            also write the results there: runs.csv, summary.csv,\n"
            "                       summary.json, comparisons.csv, mechanism.csv,\n"
            "                       importance.csv, details.csv, report.md and plots/\n"
            "  --quiet, -q          no progress or diagnostics on stderr\n"
            "  --dry-run            print the plan (models, parameters, tests, site, runs,\n"
            "                       masks) and an estimate of the time; train nothing\n"
            "\n"
            "exit status: 0 done, 1 failed while running, 2 bad input, 130 interrupted\n");
}

static int list_activations(void)
{
    printf("%-12s %-9s %-20s %-12s %s\n", "name", "bounded", "output range", "parameter",
           "definition");
    for (int k = 0; k < PRISM_ACT_COUNT; k++) {
        const prism_activation_info *info = prism_activation_describe((prism_activation_kind)k);
        char param[48] = "-";
        if (info->param_name != NULL) {
            snprintf(param, sizeof param, "%s=%g", info->param_name, info->param_default);
        }
        printf("%-12s %-9s %-20s %-12s %s\n", info->name, info->bounded ? "yes" : "no",
               info->range, param, info->formula);
    }
    return EXIT_OK;
}

static int list_presets(void)
{
    prism_preset_info *presets = NULL;
    size_t count = 0;
    prism_error err;
    if (prism_preset_list(prism_preset_dir(), &presets, &count, &err) != 0) {
        fprintf(stderr, "prism list presets: %s\n", err.message);
        return EXIT_FAILURE_RUNTIME;
    }
    printf("%-12s %s\n", "name", "description");
    for (size_t i = 0; i < count; i++) {
        printf("%-12s %s\n", presets[i].name, presets[i].description);
    }
    free(presets);
    return EXIT_OK;
}

/* A duration for people: seconds, minutes or hours. */
static const char *format_duration(double seconds, char *out, size_t out_bytes)
{
    if (seconds < 90.0) {
        snprintf(out, out_bytes, "%.0f s", seconds < 1.0 ? 1.0 : seconds);
    } else if (seconds < 90.0 * 60.0) {
        snprintf(out, out_bytes, "%.0f min", seconds / 60.0);
    } else {
        snprintf(out, out_bytes, "%.1f h", seconds / 3600.0);
    }
    return out;
}

/* The image counts the estimate assumes: the dry run reads no data, and MNIST and
 * Fashion-MNIST both have 60000 training and 10000 test images. */
enum { PLAN_TRAIN_IMAGES = 60000, PLAN_TEST_IMAGES = 10000 };

/* --dry-run: everything the run would do and what it would cost, without reading the data. The
 * dataset is only located (a missing one is what a real run would stop on). */
static int print_plan(const prism_run_options *options)
{
    const prism_experiment_config *c = &options->config;
    printf("plan (--dry-run: nothing is read or trained)\n");
    printf("%-12s %s%s%s%s\n", "preset", c->preset, c->source[0] ? " (" : " (built in",
           c->source, ")");

    prism_dataset dataset;
    prism_error err;
    bool found = prism_dataset_locate(c->dataset, &dataset, &err) == 0;
    if (found) {
        printf("%-12s %s (in %s)\n", "dataset", c->dataset, dataset.dir);
    } else {
        printf("%-12s %s (NOT FOUND)\n", "dataset", c->dataset);
    }
    printf("%-12s %zu epochs, batch %zu, Adam lr %g; %s design, seed %llu\n", "training",
           c->train.epochs, c->train.batch, c->train.lr, prism_design_name(c->design),
           (unsigned long long)c->seed);

    char site[64];
    prism_site_text_format(&c->site, site, sizeof site);
    printf("%-12s %zu, stressed at site %s (hidden layer %zu, %s)\n", "models", c->n_variants,
           site, c->site.layer + 1, prism_site_name(c->site.kind));
    printf("  %-20s %10s %10s  %s\n", "name", "parameters", "site width", "layers");
    for (size_t v = 0; v < c->n_variants; v++) {
        const prism_net_spec *spec = &c->variants[v].spec;
        char layers[1024];
        prism_layers_format(spec, layers, sizeof layers);
        printf("  %-20s %10zu %10zu  %s\n", c->variants[v].name, prism_net_param_count(spec),
               spec->hidden[c->site.layer].width, layers);
    }

    printf("%-12s", "tests");
    for (size_t t = 0; t < c->n_tests; t++) {
        printf("%s%-17s", t > 0 ? "             " : " ", prism_test_name(c->tests[t].kind));
        for (size_t j = 0; j < c->tests[t].n_levels; j++) {
            printf(" %g", c->tests[t].levels[j]);
        }
        printf("\n");
    }
    printf("%-12s %zu\n", "runs", c->runs);
    printf("%-12s %zu per model and randomly stressed (test, level)\n", "masks", c->masks);

    prism_config_cost cost;
    prism_config_estimate(c, PLAN_TRAIN_IMAGES, PLAN_TEST_IMAGES, &cost);
    printf("%-12s %zu models (%zu runs x %zu)\n", "to train", cost.models, c->runs,
           c->n_variants);
    printf("%-12s %zu passes over the test set (%zu per model)\n", "evaluations",
           cost.evaluations, cost.models > 0 ? cost.evaluations / cost.models : 0);
    char duration[32];
    printf("%-12s about %s on %zu thread%s (%.2g FLOPs of training + %.2g of evaluation, "
           "assuming %d training and %d test images; see docs/config.md)\n",
           "estimate", format_duration(cost.seconds, duration, sizeof duration), cost.threads,
           cost.threads == 1 ? "" : "s", cost.train_flops, cost.eval_flops, PLAN_TRAIN_IMAGES,
           PLAN_TEST_IMAGES);
    fflush(stdout);
    if (!found) {
        fprintf(stderr, "prism run: --dataset: %s\n", err.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void describe_run(const prism_run_options *options, const prism_dataset *dataset)
{
    const prism_experiment_config *c = &options->config;
    size_t threads = prism_thread_count(c->threads, c->runs * c->n_variants);
    fprintf(stderr,
            "prism %s: %s on %s (%zu train / %zu test), %zu runs x %zu models, %zu epochs, "
            "batch %zu, lr %g, seed %llu, %s design, %zu threads, %s kernels\n",
            PRISM_VERSION, c->preset, dataset->name, dataset->train.count, dataset->test.count,
            c->runs, c->n_variants, c->train.epochs, c->train.batch, c->train.lr,
            (unsigned long long)c->seed, prism_design_name(c->design), threads,
            prism_kernel_variant());
}

/* Prints the tables and writes the files for whatever finished. */
static int report_results(const prism_run_options *options, const prism_dataset *dataset,
                          const prism_results *results, bool complete, const char *why)
{
    prism_error err;
    prism_summary_table table;
    if (prism_summary_table_build(&options->config, results, &table, &err) != 0) {
        fprintf(stderr, "prism: %s\n", err.message);
        return EXIT_FAILURE_RUNTIME;
    }
    if (!complete) {
        fprintf(stderr, "prism: %s: %zu of %zu runs complete; the tables and files hold those "
                "runs only\n", why, table.complete_runs, results->runs);
    }
    if (table.complete_runs > 0) {
        prism_print_tables(stdout, &options->config, &table);
        fflush(stdout);
    }

    int status = EXIT_OK;
    if (options->out_dir[0] != '\0') {
        /* An earlier run's report in the folder describes other results from here on. */
        prism_report_remove(options->out_dir);
        if (prism_write_outputs(options->out_dir, &options->config, dataset, results, &table,
                                complete, &err) != 0) {
            fprintf(stderr, "prism: %s\n", err.message);
            status = EXIT_FAILURE_RUNTIME;
        } else if (table.complete_runs > 0 &&
                   prism_report_rebuild(options->out_dir, NULL, &err) != 0) {
            fprintf(stderr, "prism: report: %s\n", err.message);
            status = EXIT_FAILURE_RUNTIME;
        } else if (!options->quiet && table.complete_runs > 0) {
            fprintf(stderr, "prism: wrote results, comparisons, plots and report.md to %s%s\n",
                    options->out_dir, complete ? "" : " (marked incomplete)");
        } else if (!options->quiet) {
            fprintf(stderr, "prism: no run finished: wrote only the configuration and empty "
                    "result files to %s (marked incomplete)\n", options->out_dir);
        }
    }
    prism_summary_table_destroy(&table);
    return status;
}

/* Creates the folder if needed and checks that a file can be created in it. */
static int check_out_dir(const char *dir, prism_error *err)
{
    if (prism_make_dirs(dir, err) != 0) {
        return -1;
    }
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/.prism-write-check", dir);
    FILE *f = fopen(probe, "w");
    if (f == NULL) {
        return prism_error_set(err, "%s: cannot create files there: %s", dir, strerror(errno));
    }
    fclose(f);
    remove(probe);
    return 0;
}

static bool all_runs_complete(const prism_results *results)
{
    for (size_t run = 0; run < results->runs; run++) {
        if (!prism_results_run_complete(results, run)) {
            return false;
        }
    }
    return true;
}

/* prism report DIR: everything derived, rebuilt from the stored results. */
static int command_report(int argc, char **argv)
{
    if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        printf("usage: prism report DIR\n\nRebuilds comparisons.csv, plots/ and report.md in "
               "DIR from the runs.csv, summary.json,\nmechanism.csv and details.csv that "
               "'prism run --out DIR' wrote, and prints the tables.\n");
        return EXIT_OK;
    }
    if (argc != 3) {
        fprintf(stderr, "prism report: expected one folder, the --out folder of a run\n");
        return EXIT_USAGE;
    }
    prism_error err;
    prism_store store;
    if (prism_store_load(argv[2], &store, &err) != 0) {
        fprintf(stderr, "prism report: %s\n", err.message);
        return EXIT_USAGE;
    }
    prism_report_data data;
    int status = prism_report_compute(&store, &data, &err);
    if (status == 0) {
        status = prism_report_write(&store, &data, &err);
        if (status == 0) {
            prism_report_print_tables(stdout, &store, &data);
        }
        prism_report_data_free(&data);
    }
    prism_store_free(&store);
    if (status != 0) {
        fprintf(stderr, "prism report: %s\n", err.message);
        return EXIT_FAILURE_RUNTIME;
    }
    return EXIT_OK;
}

static int command_run(int argc, char **argv)
{
    prism_run_options options;
    prism_error err;
    if (prism_parse_run_args(argc, argv, 2, &options, &err) != 0) {
        fprintf(stderr, "prism run: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (options.help) {
        print_run_help(stdout);
        return EXIT_OK;
    }
    if (options.dry_run) {
        return print_plan(&options);
    }

    prism_dataset dataset;
    if (prism_dataset_locate(options.config.dataset, &dataset, &err) != 0) {
        fprintf(stderr, "prism run: --dataset: %s\n", err.message);
        return EXIT_USAGE;
    }

    /* An output folder that cannot be written is found out now, not after the training. */
    if (options.out_dir[0] != '\0' && check_out_dir(options.out_dir, &err) != 0) {
        fprintf(stderr, "prism run: --out: %s\n", err.message);
        return EXIT_USAGE;
    }

    double load_start = prism_clock_s();
    if (prism_dataset_load(options.config.dataset, &dataset, &err) != 0) {
        fprintf(stderr, "prism run: %s\n", err.message);
        return EXIT_FAILURE_RUNTIME;
    }
    double load_s = prism_clock_s() - load_start;
    if (!options.quiet) {
        describe_run(&options, &dataset);
    }

    prism_results results;
    if (prism_results_create(&results, &options.config, &err) != 0) {
        fprintf(stderr, "prism run: %s\n", err.message);
        prism_dataset_free(&dataset);
        return EXIT_FAILURE_RUNTIME;
    }
    results.load_seconds = load_s;

    struct sigaction action = {.sa_handler = on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    prism_progress progress;
    const prism_experiment_config *c = &options.config;
    prism_progress_init(&progress, options.quiet, c->runs, c->n_variants * c->train.epochs);
    prism_run_hooks hooks = {prism_progress_update, &progress, &stop_requested};
    int status = prism_experiment_run(c, &dataset, &hooks, &results, &err);
    prism_progress_finish(&progress);

    int exit_code;
    if (status != 0) {
        fprintf(stderr, "prism run: %s\n", err.message);
        exit_code = EXIT_FAILURE_RUNTIME;
        report_results(&options, &dataset, &results, false, "stopped by the error above");
    } else if (atomic_load(&stop_requested) && !all_runs_complete(&results)) {
        report_results(&options, &dataset, &results, false, "interrupted");
        exit_code = EXIT_INTERRUPTED;
    } else {
        exit_code = report_results(&options, &dataset, &results, true, "");
        if (!options.quiet) {
            fprintf(stderr, "prism: load %.2f s, experiment %.2f s wall\n", load_s,
                    results.wall_seconds);
        }
    }
    prism_results_destroy(&results);
    prism_dataset_free(&dataset);
    return exit_code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        print_main_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(command, "--version") == 0) {
        printf("prism %s (%s, %s; built with %s)\n", PRISM_VERSION, PRISM_BUILD_TYPE,
               PRISM_COMPILER, PRISM_BUILD_FLAGS);
        return EXIT_OK;
    }
    if (strcmp(command, "run") == 0) {
        return command_run(argc, argv);
    }
    if (strcmp(command, "report") == 0) {
        return command_report(argc, argv);
    }
    if (strcmp(command, "list") == 0) {
        if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            printf("usage: prism list activations | prism list presets\n");
            return EXIT_OK;
        }
        if (argc == 3 && strcmp(argv[2], "activations") == 0) {
            return list_activations();
        }
        if (argc == 3 && strcmp(argv[2], "presets") == 0) {
            return list_presets();
        }
        fprintf(stderr, "prism list: expected 'activations' or 'presets'\n");
        return EXIT_USAGE;
    }
    fprintf(stderr, "prism: unknown command '%s' (expected run, report or list; see "
            "'prism --help')\n",
            command);
    return EXIT_USAGE;
}
