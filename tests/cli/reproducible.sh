#!/usr/bin/env bash
# CLI test: a full run on a generated tiny dataset. The per-run results must not depend on the
# thread count (runs.csv byte-identical for 1 and 2 threads) but must depend on the seed; the
# three output files must have their documented shape; files appear complete or not at all;
# stdout holds the tables only, with no terminal control codes when it is a pipe.
#
#   usage: reproducible.sh PRISM SCRATCH_DIR MAKE_TINY_IDX
set -u

. "$(dirname "$0")/lib/common.sh"
cli_test_start 600 200 "$@"

# The article's plan on the tiny data: 3 tests x 5 levels (clean 0 + 4) x 3 activations.
RUNS=3
TESTS=3
LEVELS=5
ACTIVATIONS=3
COMMON=(run --dataset "$DATA" --runs "$RUNS" --epochs 2 --batch 64)

# run_prism NAME ARGS...: runs prism with stdout and stderr in SCRATCH/NAME.stdout and .stderr;
# anything but exit 0 fails the test.
run_prism() {
    local name=$1
    shift
    "$PRISM" "$@" >"$SCRATCH/$name.stdout" 2>"$SCRATCH/$name.stderr"
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$name: 'prism $*' exited $rc: $(cat "$SCRATCH/$name.stderr")"
}

run_prism one_thread "${COMMON[@]}" --out "$SCRATCH/out1" --threads 1 --quiet
run_prism two_threads "${COMMON[@]}" --out "$SCRATCH/out2" --threads 2
run_prism other_seed "${COMMON[@]}" --out "$SCRATCH/out3" --threads 2 --seed 2 --quiet

# ---- Reproducibility ----

cmp -s "$SCRATCH/out1/runs.csv" "$SCRATCH/out2/runs.csv" ||
    fail "runs.csv differs between --threads 1 and --threads 2"
cmp -s "$SCRATCH/out1/summary.csv" "$SCRATCH/out2/summary.csv" ||
    fail "summary.csv differs between --threads 1 and --threads 2"
cmp -s "$SCRATCH/one_thread.stdout" "$SCRATCH/two_threads.stdout" ||
    fail "the printed tables differ between --threads 1 and --threads 2"
if cmp -s "$SCRATCH/out1/runs.csv" "$SCRATCH/out3/runs.csv"; then
    fail "runs.csv is the same for --seed 1 and --seed 2"
fi

# ---- The CSV files' shape ----

EXPECTED_RUN_ROWS=$((TESTS * LEVELS * ACTIVATIONS * RUNS))
EXPECTED_SUMMARY_ROWS=$((TESTS * LEVELS * ACTIVATIONS))
for out in out1 out2 out3; do
    RUNS_CSV=$SCRATCH/$out/runs.csv
    SUMMARY_CSV=$SCRATCH/$out/summary.csv
    [ "$(head -n 1 "$RUNS_CSV")" = "test,level,activation,run,accuracy" ] ||
        fail "$RUNS_CSV header: '$(head -n 1 "$RUNS_CSV")'"
    [ "$(head -n 1 "$SUMMARY_CSV")" = "test,level,activation,n,mean,sd,ci_low,ci_high" ] ||
        fail "$SUMMARY_CSV header: '$(head -n 1 "$SUMMARY_CSV")'"

    rows=$(($(wc -l <"$RUNS_CSV") - 1))
    [ "$rows" -eq "$EXPECTED_RUN_ROWS" ] ||
        fail "$RUNS_CSV: $rows rows, expected $EXPECTED_RUN_ROWS"
    rows=$(($(wc -l <"$SUMMARY_CSV") - 1))
    [ "$rows" -eq "$EXPECTED_SUMMARY_ROWS" ] ||
        fail "$SUMMARY_CSV: $rows rows, expected $EXPECTED_SUMMARY_ROWS"

    # Every run row: a known test, activation and run number, an accuracy in [0, 100].
    bad=$(awk -F, -v runs="$RUNS" 'NR > 1 && (NF != 5 || $1 !~ /^(lobotomy|spike|noise)$/ ||
        $3 !~ /^(relu|tanh|gelu)$/ || $4 < 1 || $4 > runs || $5 < 0 || $5 > 100) {
        print NR ": " $0; exit }' "$RUNS_CSV")
    [ -z "$bad" ] || fail "$RUNS_CSV: bad row $bad"
    # Every (test, level, activation) has all its runs.
    bad=$(awk -F, -v runs="$RUNS" 'NR > 1 { count[$1 "," $2 "," $3]++ }
        END { for (k in count) if (count[k] != runs) { print k ": " count[k]; exit } }' \
        "$RUNS_CSV")
    [ -z "$bad" ] || fail "$RUNS_CSV: wrong number of runs for $bad"
    # Every summary row: n = runs and ci_low <= mean <= ci_high.
    bad=$(awk -F, -v runs="$RUNS" 'NR > 1 && (NF != 8 || $4 != runs || $7 > $5 || $5 > $8) {
        print NR ": " $0; exit }' "$SUMMARY_CSV")
    [ -z "$bad" ] || fail "$SUMMARY_CSV: bad row $bad"

    partial=$(find "$SCRATCH/$out" -name '*.partial')
    [ -z "$partial" ] || fail "temporary files left behind: $partial"
done

# The clean rows of a summary are the mean of the matching runs (checked for one cell).
mean=$(awk -F, '$1 == "spike" && $2 == "0" && $3 == "tanh" { s += $5; n++ }
    END { printf "%.6f", s / n }' "$SCRATCH/out1/runs.csv")
grep -q "^spike,0,tanh,$RUNS,$mean," "$SCRATCH/out1/summary.csv" ||
    fail "summary.csv spike/0/tanh mean is not the runs' mean $mean"

# ---- summary.json ----

JSON=$SCRATCH/out1/summary.json
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json, hashlib' 2>/dev/null; then
    python3 - "$JSON" "$DATA" "$RUNS" <<'EOF' || fail "summary.json check failed (see above)"
import hashlib, json, os, sys
path, data, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as f:
    doc = json.load(f)
def need(cond, what):
    if not cond:
        sys.exit("summary.json: " + what)
need(doc.get("complete") is True, "complete is not true")
need(doc.get("complete_runs") == runs, "complete_runs is not %d" % runs)
need(doc["config"]["runs"] == runs, "config.runs is not %d" % runs)
need(doc["config"]["seed"] == "1", "config.seed is not \"1\"")
need(doc["build"]["prism_version"], "build.prism_version is empty")
need("-ffast-math" not in doc["build"]["compiler_flags"], "built with -ffast-math")
files = doc["dataset"]["files"]
need(len(files) == 4, "dataset.files does not list 4 files")
for item in files:
    with open(item["path"], "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    need(item["sha256"] == digest, "sha256 of %s is %s, file has %s"
         % (item["path"], item["sha256"], digest))
need(len(doc["summary"]) == 45, "summary has %d cells, expected 45" % len(doc["summary"]))
EOF
else
    for key in '"config"' '"dataset"' '"sha256"' '"prism_version"' '"compiler_flags"'; do
        grep -q -e "$key" "$JSON" || fail "$JSON lacks the key $key"
    done
    grep -q '"complete":[[:space:]]*true' "$JSON" || fail "$JSON is not marked complete"
    if command -v sha256sum >/dev/null 2>&1; then
        digest=$(sha256sum "$DATA/train-images-idx3-ubyte" | cut -d ' ' -f 1)
        grep -q "$digest" "$JSON" || fail "$JSON lacks the training images' sha256 $digest"
    fi
fi

# ---- The terminal streams ----

for name in one_thread two_threads other_seed; do
    headings=$(grep -c '^### Test' "$SCRATCH/$name.stdout")
    [ "$headings" -eq "$TESTS" ] || fail "$name: stdout has $headings '### Test' headings"
    # Piped, neither stream may carry the progress line's carriage return or escape codes.
    if grep -q "$(printf '[\r\033]')" "$SCRATCH/$name.stdout" "$SCRATCH/$name.stderr"; then
        fail "$name: control characters in the output of a piped run"
    fi
done
for name in one_thread other_seed; do
    [ ! -s "$SCRATCH/$name.stderr" ] ||
        fail "$name: stderr not empty with --quiet: $(cat "$SCRATCH/$name.stderr")"
done
# Without --quiet the run does report on stderr (so the check above is not vacuous).
[ -s "$SCRATCH/two_threads.stderr" ] || fail "two_threads: nothing on stderr without --quiet"

echo "reproducible.sh: all checks passed"
exit 0
