#!/usr/bin/env bash
# CLI test: help and version texts, and every kind of bad command line. A bad value must give
# exit status 2, a message on stderr that names the flag (or option, or command), nothing on
# stdout, and no files in the --out folder: bad input is refused before any work starts.
#
#   usage: usage.sh PRISM SCRATCH_DIR MAKE_TINY_IDX
set -u

. "$(dirname "$0")/lib/common.sh"
cli_test_start 100 50 "$@"

# Runs prism with the given arguments; leaves exit status in RC and the streams in files.
run_prism() {
    "$PRISM" "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr"
    RC=$?
}

# ---- Help and version ----

run_prism --help
[ "$RC" -eq 0 ] || fail "'prism --help' exited $RC, expected 0"
for word in run "--version" "--help"; do
    grep -q -e "$word" "$SCRATCH/stdout" || fail "'prism --help' does not mention $word"
done

run_prism run --help
[ "$RC" -eq 0 ] || fail "'prism run --help' exited $RC, expected 0"
for flag in --dataset --runs --epochs --batch --lr --hidden --activations --seed --threads \
    --out --quiet --design; do
    grep -q -e "$flag" "$SCRATCH/stdout" || fail "'prism run --help' does not mention $flag"
done
[ ! -s "$SCRATCH/stderr" ] || fail "'prism run --help' wrote to stderr: $(cat "$SCRATCH/stderr")"

# The version printed must be the project's, as CMakeLists.txt declares it.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^project(prism VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
[ -n "$VERSION" ] || fail "could not read the project version from $ROOT/CMakeLists.txt"
run_prism --version
[ "$RC" -eq 0 ] || fail "'prism --version' exited $RC, expected 0"
grep -q "^prism $VERSION " "$SCRATCH/stdout" ||
    fail "'prism --version' printed '$(cat "$SCRATCH/stdout")', expected 'prism $VERSION ...'"

# No command at all is a usage error, with the help on stderr.
run_prism
[ "$RC" -eq 2 ] || fail "'prism' with no arguments exited $RC, expected 2"
grep -q "usage:" "$SCRATCH/stderr" || fail "'prism' with no arguments printed no usage"

# ---- Bad input ----

OUT=$SCRATCH/out
# The arguments every case starts from; a control run below shows that they work on their own,
# so a failure can only come from the bad value that follows them.
BASE=(--dataset "$DATA" --runs 1 --epochs 1 --batch 50 --threads 1 --quiet --out "$OUT")

# expect_usage_error WORD ARGS...: prism ARGS must exit 2 naming WORD, print nothing on
# stdout, and leave no output folder behind.
expect_usage_error() {
    local word=$1
    shift
    rm -rf "$OUT"
    run_prism "$@"
    local shown="prism $*"
    [ "$RC" -eq 2 ] || fail "'$shown' exited $RC, expected 2"
    [ -s "$SCRATCH/stderr" ] || fail "'$shown' printed no message"
    grep -q -F -e "$word" "$SCRATCH/stderr" ||
        fail "'$shown': message does not name '$word': $(cat "$SCRATCH/stderr")"
    [ ! -s "$SCRATCH/stdout" ] || fail "'$shown' printed on stdout: $(cat "$SCRATCH/stdout")"
    [ ! -e "$OUT" ] || fail "'$shown' created $OUT: $(ls -A "$OUT")"
}

expect_usage_error --runs run "${BASE[@]}" --runs 0
expect_usage_error --runs run "${BASE[@]}" --runs=0
expect_usage_error --epochs run "${BASE[@]}" --epochs -1
expect_usage_error --lr run "${BASE[@]}" --lr abc
expect_usage_error --lr run "${BASE[@]}" --lr -1
expect_usage_error --lr run "${BASE[@]}" --lr nan
expect_usage_error --lr run "${BASE[@]}" --lr=
expect_usage_error --batch run "${BASE[@]}" --batch 0
expect_usage_error --batch run "${BASE[@]}" --batch 1.5
expect_usage_error --hidden run "${BASE[@]}" --hidden 0
expect_usage_error --hidden run "${BASE[@]}" --hidden 10x
expect_usage_error --activations run "${BASE[@]}" --activations foo
expect_usage_error --activations run "${BASE[@]}" --activations relu,relu
expect_usage_error --activations run "${BASE[@]}" --activations leaky_relu:5
expect_usage_error --activations run "${BASE[@]}" --activations tanh:2
expect_usage_error --seed run "${BASE[@]}" --seed -3
expect_usage_error --seed run "${BASE[@]}" --seed 99999999999999999999999
expect_usage_error --threads run "${BASE[@]}" --threads x
expect_usage_error --design run "${BASE[@]}" --design crossed
expect_usage_error --preset run "${BASE[@]}" --preset nonesuch
expect_usage_error --dataset run "${BASE[@]}" --dataset no-such-dataset
expect_usage_error --frobnicate run "${BASE[@]}" --frobnicate
expect_usage_error --runs run "${BASE[@]}" --runs
expect_usage_error frobnicate frobnicate "${BASE[@]}"
expect_usage_error list list nonsense

# The dataset message names the value as well as the flag.
expect_usage_error no-such-dataset run "${BASE[@]}" --dataset no-such-dataset

# ---- Control: the base arguments alone succeed and do write the output folder ----

rm -rf "$OUT"
run_prism run "${BASE[@]}"
[ "$RC" -eq 0 ] || fail "control run exited $RC, expected 0: $(cat "$SCRATCH/stderr")"
for file in runs.csv summary.csv summary.json; do
    [ -s "$OUT/$file" ] || fail "control run did not write $OUT/$file"
done

# 'prism list activations' names the article's three.
run_prism list activations
[ "$RC" -eq 0 ] || fail "'prism list activations' exited $RC, expected 0"
for act in relu tanh gelu; do
    grep -q "^$act " "$SCRATCH/stdout" || fail "'prism list activations' does not list $act"
done

echo "usage.sh: all checks passed"
exit 0
