/* The report pipeline from stored files: loading summary.json and runs.csv, the statistics it
 * derives, the files it writes, and its messages for damaged input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/report.h"
#include "report/store.h"
#include "stats/compare.h"

static const char *SUMMARY_JSON =
    "{\"complete\": true, \"config\": {\"runs\": 3, \"dataset\": \"tiny\", \"design\": \"%s\","
    " \"models\": [{\"name\": \"relu\", \"network\": \"784-10:layernorm:relu-10\"},"
    " {\"name\": \"tanh\", \"network\": \"784-10:layernorm:tanh-10\"}],"
    " \"tests\": [{\"test\": \"lobotomy\", \"levels\": [0, 0.5]}],"
    " \"site\": {\"layer\": 1, \"position\": \"pre_norm\"},"
    " \"estimators\": {\"confidence\": 0.95}}}\n";

/* accuracy[variant][level][run] */
static const double ACC[2][2][3] = {{{90.0, 91.0, 92.5}, {40.0, 45.0, 47.0}},
                                    {{89.0, 90.5, 91.0}, {60.0, 58.5, 66.0}}};
static const char *NAMES[2] = {"relu", "tanh"};
static const double LEVELS[2] = {0.0, 0.5};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_store(const char *dir, const char *design, const char *extra_row)
{
    mkdir(dir, 0777);
    char path[512];
    char json[2048];
    snprintf(json, sizeof json, SUMMARY_JSON, design);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    write_file(path, json);

    snprintf(path, sizeof path, "%s/runs.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "test,level,activation,run,accuracy\n");
    for (int v = 0; v < 2; v++) {
        for (int j = 0; j < 2; j++) {
            for (int r = 0; r < 3; r++) {
                fprintf(f, "lobotomy,%g,%s,%d,%.10g\n", LEVELS[j], NAMES[v], r + 1, ACC[v][j][r]);
            }
        }
    }
    if (extra_row != NULL) {
        fputs(extra_row, f);
    }
    fclose(f);
}

static void test_store_loads_values(void **state)
{
    (void)state;
    const char *dir = PRISM_SCRATCH_DIR "/report_load";
    make_store(dir, "paired", NULL);
    prism_store s;
    prism_error err;
    assert_int_equal(prism_store_load(dir, &s, &err), 0);
    assert_int_equal(s.n_variants, 2);
    assert_int_equal(s.n_slots, 2);
    assert_int_equal(s.runs, 3);
    assert_string_equal(s.design, "paired");
    assert_true(*prism_store_accuracy(&s, 2, 1, 1) == 66.0);
    double values[3];
    assert_int_equal(prism_store_values(&s, 0, 1, values), 3);
    assert_true(values[1] == 45.0);
    prism_store_free(&s);
}

/* The report's numbers equal the statistics called directly on the same values. */
static void test_report_statistics(void **state)
{
    (void)state;
    const char *dir = PRISM_SCRATCH_DIR "/report_stats";
    make_store(dir, "paired", NULL);
    prism_store s;
    prism_error err;
    assert_int_equal(prism_store_load(dir, &s, &err), 0);
    prism_report_data d;
    assert_int_equal(prism_report_compute(&s, &d, &err), 0);

    /* one pair, two slots */
    assert_int_equal(d.n_pairs, 2);
    prism_comparison direct;
    assert_int_equal(prism_compare_paired(ACC[0][1], ACC[1][1], 3, 0.95, &direct, &err), 0);
    assert_true(fabs(d.pairs[1].result.mean_diff - direct.mean_diff) < 1e-12);
    assert_true(fabs(d.pairs[1].result.p - direct.p) < 1e-12);
    /* Holm over two p-values: the smaller doubles (capped at 1) */
    double p0 = d.pairs[0].result.p;
    double p1 = d.pairs[1].result.p;
    double smaller = fmin(p0, p1);
    double holm_smaller = fmin(1.0, 2.0 * smaller);
    assert_true(fabs(fmin(d.pairs[0].p_holm, d.pairs[1].p_holm) - holm_smaller) < 1e-12);

    /* kept: tanh at 0.5, run by run 60/89, 58.5/90.5, 66/91 */
    double kept = 100.0 * (60.0 / 89.0 + 58.5 / 90.5 + 66.0 / 91.0) / 3.0;
    assert_true(fabs(d.kept[1 * 2 + 1].mean - kept) < 1e-10);
    assert_true(fabs(d.kept[0].mean - 100.0) < 1e-12);

    /* area over levels 0..0.5: the mean of the two ends for each run */
    double area = ((90.0 + 40.0) + (91.0 + 45.0) + (92.5 + 47.0)) / 6.0;
    assert_true(fabs(d.area[0].mean - area) < 1e-10);

    prism_report_data_free(&d);
    prism_store_free(&s);
}

static long file_size(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 ? (long)info.st_size : -1;
}

static void test_rebuild_writes_files(void **state)
{
    (void)state;
    const char *dir = PRISM_SCRATCH_DIR "/report_files";
    make_store(dir, "independent", NULL);
    prism_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(prism_report_rebuild(dir, out, &err), 0);
    fclose(out);
    assert_non_null(strstr(buf, "### Test 1: lobotomy"));
    assert_non_null(strstr(buf, "Welch"));
    free(buf);

    const char *files[] = {"comparisons.csv", "report.md", "plots/accuracy_lobotomy.png",
                           "plots/accuracy_lobotomy.svg", "plots/differences_lobotomy.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_true(file_size(path) > 0);
    }

    char path[512];
    snprintf(path, sizeof path, "%s/comparisons.csv", dir);
    FILE *f = fopen(path, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "test,level,a,b,n,mean_diff,ci_low,ci_high,method,p,p_holm,"
                              "rank_method,rank_p,rank_p_holm,hedges_g\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "lobotomy,0,relu,tanh,3,"));
    assert_non_null(strstr(line, "welch-t"));
    fclose(f);

    snprintf(path, sizeof path, "%s/report.md", dir);
    f = fopen(path, "r");
    char text[8192];
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "design: **independent**"));
    assert_non_null(strstr(text, "plots/accuracy_lobotomy.png"));
}

static void test_damaged_runs_csv(void **state)
{
    (void)state;
    const char *dir = PRISM_SCRATCH_DIR "/report_damaged";
    make_store(dir, "paired", "lobotomy,0.5,swish,1,50\n");
    prism_store s;
    prism_error err;
    assert_int_equal(prism_store_load(dir, &s, &err), -1);
    assert_non_null(strstr(err.message, "runs.csv: line 14"));
    assert_non_null(strstr(err.message, "swish"));

    make_store(dir, "paired", "lobotomy,0.5,tanh,1\n");
    assert_int_equal(prism_store_load(dir, &s, &err), -1);
    assert_non_null(strstr(err.message, "expected 5 comma-separated fields"));

    /* empty fields are not zeros */
    make_store(dir, "paired", "lobotomy,,tanh,1,50\n");
    assert_int_equal(prism_store_load(dir, &s, &err), -1);
    make_store(dir, "paired", "lobotomy,0.5,tanh,1,\n");
    assert_int_equal(prism_store_load(dir, &s, &err), -1);
    assert_non_null(strstr(err.message, "accuracy"));

    make_store(dir, "paired", "lobotomy,0.5,tanh,9,50\n");
    assert_int_equal(prism_store_load(dir, &s, &err), -1);

    char path[512];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    write_file(path, "{\"complete\": true, \"config\": ");
    assert_int_equal(prism_store_load(dir, &s, &err), -1);
    assert_non_null(strstr(err.message, "summary.json: not valid JSON"));

    assert_int_equal(prism_store_load(PRISM_SCRATCH_DIR "/no_such_folder", &s, &err), -1);
    assert_non_null(strstr(err.message, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_loads_values),
        cmocka_unit_test(test_report_statistics),
        cmocka_unit_test(test_rebuild_writes_files),
        cmocka_unit_test(test_damaged_runs_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
