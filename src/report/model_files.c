#include "report/model_files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/atomic_file.h"
#include "report/format.h"
#include "stats/mechanism.h"

static int write_mechanism(const char *dir, const prism_experiment_config *config,
                           const prism_results *r, prism_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/mechanism.csv", dir);
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    FILE *f = file.stream;
    fprintf(f, "run,activation,width,participation_ratio,importance_gini,saturated_share,"
               "final_loss");
    for (size_t t = 0; t < config->n_tests; t++) {
        fprintf(f, ",area_%s", prism_test_name(config->tests[t].kind));
    }
    fputc('\n', f);

    double curve[PRISM_MAX_LEVELS];
    for (size_t run = 0; run < r->runs; run++) {
        if (!prism_results_run_complete(r, run)) {
            continue;
        }
        for (size_t v = 0; v < r->n_variants; v++) {
            size_t model = run * r->n_variants + v;
            fprintf(f, "%zu,%s,%zu,", run + 1, config->variants[v].name,
                    config->variants[v].spec.hidden[config->site.layer].width);
            double values[] = {r->participation[model], r->importance_gini[model],
                               r->saturated[model], r->final_loss[model]};
            for (size_t k = 0; k < 4; k++) {
                if (k > 0) {
                    fputc(',', f);
                }
                prism_csv_value(f, values[k]);
            }
            size_t slot = 0;
            for (size_t t = 0; t < config->n_tests; t++) {
                const prism_test_plan *plan = &config->tests[t];
                for (size_t j = 0; j < plan->n_levels; j++) {
                    curve[j] = prism_results_run_mean(r, run, v, slot + j);
                }
                slot += plan->n_levels;
                fputc(',', f);
                prism_csv_value(f, prism_curve_area(plan->levels, curve, plan->n_levels));
            }
            fputc('\n', f);
        }
    }
    return prism_atomic_commit(&file, err);
}

static int write_importance(const char *dir, const prism_experiment_config *config,
                            const prism_results *r, prism_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/importance.csv", dir);
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    fprintf(file.stream, "run,activation,neuron,importance_pct\n");
    for (size_t run = 0; run < r->runs; run++) {
        for (size_t v = 0; prism_results_run_complete(r, run) && v < r->n_variants; v++) {
            const double *importance =
                r->importance + (run * r->n_variants + v) * r->max_site_width;
            size_t width = config->variants[v].spec.hidden[config->site.layer].width;
            for (size_t i = 0; i < width && !isnan(importance[i]); i++) {
                fprintf(file.stream, "%zu,%s,%zu,%.10g\n", run + 1, config->variants[v].name,
                        i + 1, importance[i]);
            }
        }
    }
    return prism_atomic_commit(&file, err);
}

static int write_details(const char *dir, const prism_experiment_config *config,
                         const prism_results *r, prism_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/details.csv", dir);
    prism_atomic_file file;
    if (prism_atomic_open(&file, path, err) != 0) {
        return -1;
    }
    FILE *f = file.stream;
    fprintf(f, "test,level,activation,run,mask,flipped_pct");
    for (size_t k = 0; k < r->n_classes; k++) {
        fprintf(f, ",class_%zu_pct", k);
    }
    fputc('\n', f);

    for (size_t slot = 0; slot < r->n_slots; slot++) {
        size_t t;
        size_t j;
        prism_config_slot(config, slot, &t, &j);
        for (size_t v = 0; v < r->n_variants; v++) {
            for (size_t run = 0; run < r->runs; run++) {
                if (!prism_results_run_complete(r, run)) {
                    continue;
                }
                size_t first = ((run * r->n_variants + v) * r->n_slots + slot) * r->n_masks;
                for (size_t m = 0; m < r->n_masks; m++) {
                    size_t cell = first + m;
                    fprintf(f, "%s,%.15g,%s,%zu,%zu,%.10g",
                            prism_test_name(config->tests[t].kind), config->tests[t].levels[j],
                            config->variants[v].name, run + 1, m + 1,
                            100.0 * r->flipped[cell] / (double)r->test_count);
                    for (size_t k = 0; k < r->n_classes; k++) {
                        size_t in_class = r->test_class_counts[k];
                        fputc(',', f);
                        size_t correct = r->class_correct[cell * r->n_classes + k];
                        prism_csv_value(f, in_class > 0 ? 100.0 * (double)correct /
                                                              (double)in_class
                                                        : NAN);
                    }
                    fputc('\n', f);
                }
            }
        }
    }
    return prism_atomic_commit(&file, err);
}

int prism_write_model_files(const char *dir, const prism_experiment_config *config,
                            const prism_results *results, prism_error *err)
{
    if (write_mechanism(dir, config, results, err) != 0 ||
        write_importance(dir, config, results, err) != 0) {
        return -1;
    }
    return write_details(dir, config, results, err);
}
