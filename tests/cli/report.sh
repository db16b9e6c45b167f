#!/usr/bin/env bash
# CLI test: `prism run --out` writes the report (comparisons, plots, mechanism and per-class
# files, report.md), and `prism report DIR` rebuilds the same derived files from the stored
# results alone; damaged or missing results are refused with a message and exit code 2.
#
#   usage: report.sh PRISM SCRATCH_DIR MAKE_TINY_IDX
set -u

. "$(dirname "$0")/lib/common.sh"
cli_test_start 600 200 "$@"

OUT=$SCRATCH/out
"$PRISM" run --dataset "$DATA" --runs 4 --epochs 2 --batch 64 --design paired --quiet \
    --out "$OUT" >"$SCRATCH/run.stdout" 2>"$SCRATCH/run.stderr" ||
    fail "run failed: $(cat "$SCRATCH/run.stderr")"

for f in runs.csv summary.csv summary.json comparisons.csv mechanism.csv importance.csv \
         details.csv report.md plots/accuracy_lobotomy.png plots/accuracy_spike.svg \
         plots/differences_noise.png plots/mechanism_participation_ratio.png; do
    [ -s "$OUT/$f" ] || fail "$f missing or empty after prism run --out"
done
head -c 8 "$OUT/plots/accuracy_noise.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" ||
    fail "accuracy_noise.png does not start with the PNG signature"

header=$(head -n 1 "$OUT/comparisons.csv")
want="test,level,a,b,n,mean_diff,ci_low,ci_high,method,p,p_holm,rank_method,rank_p,"
want+="rank_p_holm,hedges_g"
[ "$header" = "$want" ] || fail "comparisons.csv header: $header"
# 3 tests x 5 levels x 3 pairs of activations
rows=$(($(wc -l <"$OUT/comparisons.csv") - 1))
[ "$rows" -eq 45 ] || fail "comparisons.csv: expected 45 rows, found $rows"
grep -q ",paired-t," "$OUT/comparisons.csv" || fail "paired design but no paired t-test"
grep -q "design: \*\*paired\*\*" "$OUT/report.md" || fail "report.md does not state the design"
grep -q "## Mechanism" "$OUT/report.md" || fail "report.md has no mechanism section"
grep -q "SHA-256" "$OUT/report.md" || fail "report.md has no dataset checksums"
mech_rows=$(($(wc -l <"$OUT/mechanism.csv") - 1))
[ "$mech_rows" -eq 12 ] || fail "mechanism.csv: expected 12 models, found $mech_rows"

# One run has no intervals: the report says n/a, never nan.
ONE=$SCRATCH/one
"$PRISM" run --dataset "$DATA" --runs 1 --epochs 1 --batch 64 --quiet --out "$ONE" \
    >/dev/null 2>"$SCRATCH/one.stderr" || fail "one-run report failed: $(cat "$SCRATCH/one.stderr")"
grep -qiw -- "-\?nan" "$ONE/report.md" && fail "report.md of one run shows nan: $(grep -iw nan \
    "$ONE/report.md" | head -n 1)"
grep -q "\[n/a, n/a\]" "$ONE/report.md" || fail "report.md of one run has no n/a interval"

# prism report rebuilds the derived files byte for byte from the stored results.
cp "$OUT/comparisons.csv" "$SCRATCH/comparisons.first"
cp "$OUT/report.md" "$SCRATCH/report.first"
rm -rf "$OUT/comparisons.csv" "$OUT/report.md" "$OUT/plots"
mkdir -p "$OUT/plots"
echo stale >"$OUT/plots/accuracy_dropout.png" # as if an earlier configuration had a dropout test
"$PRISM" report "$OUT" >"$SCRATCH/report.stdout" 2>"$SCRATCH/report.stderr" ||
    fail "prism report failed: $(cat "$SCRATCH/report.stderr")"
cmp -s "$OUT/comparisons.csv" "$SCRATCH/comparisons.first" ||
    fail "prism report wrote a different comparisons.csv"
cmp -s "$OUT/report.md" "$SCRATCH/report.first" || fail "prism report wrote a different report.md"
[ -s "$OUT/plots/accuracy_lobotomy.png" ] || fail "prism report did not redraw the plots"
[ -e "$OUT/plots/accuracy_dropout.png" ] && fail "a stale plot of another configuration survived"
[ "$(grep -c '^### Test' "$SCRATCH/report.stdout")" -eq 3 ] ||
    fail "prism report did not print three tables"

# Bad input: exit 2 and a message naming the problem; nothing half-written left behind.
expect_refusal() {
    local what=$1
    local needle=$2
    shift 2
    "$PRISM" "$@" >"$SCRATCH/bad.stdout" 2>"$SCRATCH/bad.stderr"
    local code=$?
    [ "$code" -eq 2 ] || fail "$what: expected exit 2, got $code"
    grep -q -- "$needle" "$SCRATCH/bad.stderr" ||
        fail "$what: message lacks '$needle': $(cat "$SCRATCH/bad.stderr")"
}
expect_refusal "no folder" "expected one folder" report
expect_refusal "missing folder" "summary.json: cannot open" report "$SCRATCH/nowhere"
BROKEN=$SCRATCH/broken
cp -r "$OUT" "$BROKEN"
echo "lobotomy,0.5,swish,1,50" >>"$BROKEN/runs.csv"
expect_refusal "unknown model in runs.csv" "runs.csv: line" report "$BROKEN"
cp "$OUT/runs.csv" "$BROKEN/runs.csv"
sed -n 2p "$OUT/runs.csv" >>"$BROKEN/runs.csv"
expect_refusal "duplicated row in runs.csv" "a second row for" report "$BROKEN"
cp "$OUT/runs.csv" "$BROKEN/runs.csv"
echo "lobotomy,0.5,tanh,1,abc" >>"$BROKEN/runs.csv"
expect_refusal "bad accuracy in runs.csv" "accuracy: expected a percentage" report "$BROKEN"
cp "$OUT/runs.csv" "$BROKEN/runs.csv"
echo "{" >"$BROKEN/summary.json"
expect_refusal "damaged summary.json" "not valid JSON" report "$BROKEN"
# An output path that cannot be a folder is refused before any training.
touch "$SCRATCH/plain-file"
expect_refusal "--out on a file" "--out: output folder" run --dataset "$DATA" --runs 1 \
    --epochs 1 --out "$SCRATCH/plain-file"
ls "$BROKEN"/*.partial "$BROKEN"/plots/*.partial >/dev/null 2>&1 && fail "partial files left"

# A second run into a complete run's folder whose report cannot be written: exit 1, the new
# run's results with their own summary.json, and no report of the first run left beside them.
AGAIN=$SCRATCH/again
cp -r "$ONE" "$AGAIN"
rm -rf "$AGAIN/plots"
touch "$AGAIN/plots" # a plain file where the plots folder goes
"$PRISM" run --dataset "$DATA" --runs 1 --epochs 1 --batch 64 --seed 2 --quiet --out "$AGAIN" \
    >/dev/null 2>"$SCRATCH/again.stderr"
code=$?
[ "$code" -eq 1 ] || fail "report that cannot be written: expected exit 1, got $code"
grep -q "plots" "$SCRATCH/again.stderr" ||
    fail "report that cannot be written: message lacks the plots folder: $(cat "$SCRATCH/again.stderr")"
[ -e "$AGAIN/report.md" ] && fail "the first run's report.md was left beside the second run's results"
grep -Eq '"seed":[[:space:]]*"?2"?,' "$AGAIN/summary.json" ||
    fail "summary.json is not the second run's"
echo "report.sh: all checks passed"
