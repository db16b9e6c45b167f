#!/usr/bin/env bash
# CLI test of experiment descriptions: 'prism list presets', '--dry-run' for every preset (which
# must read no data), presets from $PRISM_PRESET_DIR, flags over a config file in either order,
# a multi-layer run whose summary.json echoes the new fields, and every kind of bad layer spec,
# site, config file and mask count: exit 2, a message naming the flag or file, line, section
# and key, and nothing on stdout.
#
#   usage: config.sh PRISM SCRATCH_DIR MAKE_TINY_IDX
set -u

. "$(dirname "$0")/lib/common.sh"
cli_test_start 200 100 "$@"
# The presets name mnist and fashion-mnist; both resolve to the tiny data through
# PRISM_DATA_DIR, so the dry runs never depend on what this machine has installed.
mkdir -p "$SCRATCH/datasets"
ln -s "$DATA" "$SCRATCH/datasets/mnist"
ln -s "$DATA" "$SCRATCH/datasets/fashion-mnist"
export PRISM_DATA_DIR=$SCRATCH/datasets
unset PRISM_PRESET_DIR

run_prism() {
    "$PRISM" "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr"
    RC=$?
}

# expect_output TEXT: stdout of the last command holds TEXT (a fixed string).
expect_output() {
    grep -q -F -e "$1" "$SCRATCH/stdout" ||
        fail "output of the last command lacks '$1':$(printf '\n')$(cat "$SCRATCH/stdout")"
}

# ---- list presets ----

run_prism list presets
[ "$RC" -eq 0 ] || fail "'prism list presets' exited $RC: $(cat "$SCRATCH/stderr")"
for preset in article hybrid wide deep fashion; do
    line=$(grep "^$preset " "$SCRATCH/stdout") || fail "'prism list presets' lacks $preset"
    description=$(echo "$line" | sed "s/^$preset *//")
    [ -n "$description" ] || fail "'prism list presets' shows no description for $preset"
done

# ---- dry runs ----

for preset in article hybrid wide deep fashion; do
    run_prism run --preset "$preset" --dry-run
    [ "$RC" -eq 0 ] || fail "'--preset $preset --dry-run' exited $RC: $(cat "$SCRATCH/stderr")"
    for word in "to train" evaluations estimate "site" lobotomy spike noise parameters; do
        expect_output "$word"
    done
done

# The article's numbers: 3 models of 7980 parameters, 60 to train, 900 evaluations.
run_prism run --dry-run
[ "$RC" -eq 0 ] || fail "'run --dry-run' exited $RC: $(cat "$SCRATCH/stderr")"
expect_output "(built in)"
expect_output "7980"
expect_output "60 models (20 runs x 3)"
expect_output "900 passes"
for name in relu tanh gelu; do
    grep -q "^  $name " "$SCRATCH/stdout" || fail "the article's dry run does not list $name"
done

run_prism run --preset hybrid --dry-run --runs 5 --masks 4
expect_output "20 models (5 runs x 4)"
expect_output "masks        4"
expect_output "64:gelu:layernorm,16:tanh:layernorm"
expect_output "site 2:pre_norm"

# A dry run reads no data: files with the right names but no IDX content do not stop it,
# while a real run on them must fail.
JUNK=$SCRATCH/junk
mkdir -p "$JUNK"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
    t10k-labels-idx1-ubyte; do
    echo "not an idx file" >"$JUNK/$name"
done
run_prism run --dataset "$JUNK" --dry-run
[ "$RC" -eq 0 ] || fail "a dry run read the data: exited $RC: $(cat "$SCRATCH/stderr")"
run_prism run --dataset "$JUNK" --runs 1 --epochs 1 --quiet
[ "$RC" -ne 0 ] || fail "a real run on junk data succeeded; the dry-run check proves nothing"

# A dataset that cannot be found is what a real run would stop on.
run_prism run --dataset "$SCRATCH/nowhere" --dry-run
[ "$RC" -eq 2 ] || fail "dry run with a missing dataset exited $RC, expected 2"
grep -q -e "--dataset" "$SCRATCH/stderr" || fail "missing dataset: message does not name --dataset"

# ---- PRISM_PRESET_DIR ----

PRESETS=$SCRATCH/presets
mkdir -p "$PRESETS"
cat >"$PRESETS/tiny.ini" <<'EOF'
# A tiny two-layer check.
[experiment]
runs = 2
[model a]
layers = 8:gelu, 4:tanh
[stress]
site = 2:post_act
EOF
PRISM_PRESET_DIR=$PRESETS run_prism list presets
[ "$RC" -eq 0 ] || fail "list presets with PRISM_PRESET_DIR exited $RC"
grep -q "^tiny  *A tiny two-layer check." "$SCRATCH/stdout" ||
    fail "list presets does not read PRISM_PRESET_DIR: $(cat "$SCRATCH/stdout")"
PRISM_PRESET_DIR=$PRESETS run_prism run --preset tiny --dry-run
[ "$RC" -eq 0 ] || fail "--preset tiny from PRISM_PRESET_DIR exited $RC: $(cat "$SCRATCH/stderr")"
expect_output "site 2:post_act"

# ---- A real run from a config file, flags on either side ----

CONFIG=$SCRATCH/two-layer.ini
cat >"$CONFIG" <<EOF
; Two small two-layer models on the tiny data.
[experiment]
dataset = $DATA
runs = 3
threads = 1
masks = 2
[training]
epochs = 2
batch = 50
[model gelu-tanh]
layers = 16:gelu, 8:tanh
[model tanh-tanh]
layers = 16:tanh,
         8:tanh
[stress]
site = 2:pre_norm
[test lobotomy]
levels = 0, 0.5
EOF
OUT=$SCRATCH/out
run_prism run --runs 1 --config "$CONFIG" --quiet --out "$OUT" --masks 3
[ "$RC" -eq 0 ] || fail "run from $CONFIG exited $RC: $(cat "$SCRATCH/stderr")"
JSON=$OUT/summary.json
[ -s "$JSON" ] || fail "the config-file run wrote no summary.json"
for field in '"runs":[[:space:]]*1' '"masks":[[:space:]]*3' '"config_file":[[:space:]]*"' \
    '"layers":[[:space:]]*"16:gelu:layernorm,8:tanh:layernorm"' '"parameters"' \
    '"text":[[:space:]]*"2:pre_norm"' '"preset":[[:space:]]*"two-layer"'; do
    grep -q -e "$field" "$JSON" || fail "summary.json lacks $field"
done

# ---- Bad input: exit 2, the right words in the message, nothing on stdout ----

expect_usage_error() {
    local words=$1
    shift
    run_prism "$@"
    local shown="prism $*"
    [ "$RC" -eq 2 ] || fail "'$shown' exited $RC, expected 2: $(cat "$SCRATCH/stderr")"
    local word
    IFS='|' read -r -a word_list <<<"$words"
    for word in "${word_list[@]}"; do
        grep -q -F -e "$word" "$SCRATCH/stderr" ||
            fail "'$shown': message does not name '$word': $(cat "$SCRATCH/stderr")"
    done
    [ ! -s "$SCRATCH/stdout" ] || fail "'$shown' printed on stdout: $(cat "$SCRATCH/stdout")"
}

expect_usage_error "--layers|unknown activation 'swish'" run --dry-run --layers 16:swish
expect_usage_error "--layers|parameter" run --dry-run --layers 16:leaky_relu:5
expect_usage_error "--layers|layer 2 is empty" run --dry-run --layers 16:gelu,,8:tanh
expect_usage_error "--layers|neither a normalisation" run --dry-run --layers 16:gelu:batchnorm
expect_usage_error "--layers|width" run --dry-run --layers 0:gelu
expect_usage_error "--activations|unknown activation" run --dry-run --activations relu,swish
expect_usage_error "--site|layer 3 does not exist" run --dry-run --site 3:pre_norm
expect_usage_error "--site|unknown site" run --dry-run --site 1:middle
expect_usage_error "--site|LAYER:POSITION" run --dry-run --site pre_norm
expect_usage_error "--layers|2:pre_norm|--site" run --dry-run --preset hybrid --layers 10:gelu
expect_usage_error "--masks|1..1000" run --dry-run --masks 0
expect_usage_error "--masks" run --dry-run --masks 1001
expect_usage_error "--preset|unknown preset 'nonesuch'|article" run --dry-run --preset nonesuch
expect_usage_error "--config|cannot open" run --dry-run --config "$SCRATCH/none.ini"
expect_usage_error "--config and --preset" run --dry-run --config "$CONFIG" --preset article
expect_usage_error "--hidden|--layers" run --dry-run --layers 8:tanh --hidden 4

# bad_config NAME WORDS TEXT: a config file holding TEXT must be refused naming WORDS.
bad_config() {
    local name=$1
    local words=$2
    printf '%b' "$3" >"$SCRATCH/$name.ini"
    expect_usage_error "--config|$name.ini:$words" run --dry-run --config "$SCRATCH/$name.ini"
}
bad_config unknown-key "2: [training] rate|unknown key" '[training]\nrate = 1\n'
bad_config unknown-section "3: |unknown section [optimiser]" \
    '[training]\nlr = 0.1\n[optimiser]\nbeta = 1\n'
bad_config bad-value "2: [experiment] runs|'many'" '[experiment]\nruns = many\n'
bad_config level-range "3: [test spike] levels|spike level 1.5" \
    '[test spike]\n; levels above 1 are not shares\nlevels = 0, 1.5\n'
bad_config site-missing "4: [stress] site|layer 2 does not exist" \
    '[model a]\nlayers = 8:tanh\n[stress]\nsite = 2:pre_norm\n'
bad_config twice "3: [training] lr|given twice" '[training]\nlr = 0.1\nlr = 0.2\n'
bad_config no-layers "1: [model a]|no 'layers' key" '[model a]\n'
bad_config masks-zero "2: [experiment] masks" '[experiment]\nmasks = 0\n'
# Degradation curves need increasing levels; dB beyond +-100 over- or underflows float.
printf '[test lobotomy]\nlevels = 0.9, 0.5, 0\n' >"$SCRATCH/decreasing.ini"
expect_usage_error "--config|decreasing.ini|strictly increasing|0.5 after 0.9" \
    run --dry-run --config "$SCRATCH/decreasing.ini"
bad_config snr-range "2: [test additive_noise] levels|[-100, 100] dB" \
    '[test additive_noise]\nlevels = -1000, 0\n'

echo "config.sh: all checks passed"
exit 0
