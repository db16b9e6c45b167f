#!/usr/bin/env bash
# CLI test: broken dataset folders. Each must stop prism before any training with a non-zero
# exit, a message that names the broken file, and no results in the --out folder. A control run
# on the intact folder shows that the damage, not the command line, is what fails.
#
#   usage: bad_data.sh PRISM SCRATCH_DIR MAKE_TINY_IDX
set -u

. "$(dirname "$0")/lib/common.sh"
cli_test_start 100 50 "$@"
GOOD=$DATA
TRAIN_COUNT=100
TEST_COUNT=50

OUT=$SCRATCH/out
ARGS=(--runs 1 --epochs 1 --batch 50 --threads 1 --quiet --out "$OUT")

# copy_good NAME: a fresh copy of the intact folder, printed for the caller.
copy_good() {
    local dir=$SCRATCH/$1
    rm -rf "$dir"
    cp -R "$GOOD" "$dir" || fail "cannot copy $GOOD to $dir"
    echo "$dir"
}

# put_byte FILE OFFSET OCTAL: overwrites one byte in place.
put_byte() {
    printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null ||
        fail "cannot patch $1"
}

# expect_data_error DIR FILE_NAME [WORD]: prism on DIR must fail naming FILE_NAME (and WORD,
# when given) and must leave no runs.csv.
expect_data_error() {
    local dir=$1
    local file=$2
    local word=${3:-}
    rm -rf "$OUT"
    "$PRISM" run --dataset "$dir" "${ARGS[@]}" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr"
    local rc=$?
    [ "$rc" -ne 0 ] || fail "$dir: prism exited 0 on a broken $file"
    grep -q -F -e "$file" "$SCRATCH/stderr" ||
        fail "$dir: message does not name $file: $(cat "$SCRATCH/stderr")"
    if [ -n "$word" ]; then
        grep -q -F -e "$word" "$SCRATCH/stderr" ||
            fail "$dir: message does not mention '$word': $(cat "$SCRATCH/stderr")"
    fi
    [ ! -e "$OUT/runs.csv" ] || fail "$dir: runs.csv written despite a broken $file"
    [ ! -s "$SCRATCH/stdout" ] || fail "$dir: tables printed despite a broken $file"
}

# ---- Control ----

rm -rf "$OUT"
"$PRISM" run --dataset "$GOOD" "${ARGS[@]}" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" ||
    fail "control run on the intact folder failed: $(cat "$SCRATCH/stderr")"
[ -s "$OUT/runs.csv" ] || fail "control run wrote no runs.csv"

# ---- Broken folders ----

# Training images cut short in the middle of the last image.
DIR=$(copy_good truncated_images)
IMAGES=$DIR/train-images-idx3-ubyte
head -c $((16 + 784 * TRAIN_COUNT - 100)) "$GOOD/train-images-idx3-ubyte" >"$IMAGES" ||
    fail "cannot truncate $IMAGES"
expect_data_error "$DIR" train-images-idx3-ubyte truncated

# Test images cut inside the header.
DIR=$(copy_good truncated_header)
head -c 10 "$GOOD/t10k-images-idx3-ubyte" >"$DIR/t10k-images-idx3-ubyte" ||
    fail "cannot truncate the test images"
expect_data_error "$DIR" t10k-images-idx3-ubyte

# A test label of 11 (labels start after the 8-byte header); the message shows the value.
DIR=$(copy_good label_eleven)
put_byte "$DIR/t10k-labels-idx1-ubyte" $((8 + 7)) 013
expect_data_error "$DIR" t10k-labels-idx1-ubyte 11

# A training label of 255, the first one.
DIR=$(copy_good label_255)
put_byte "$DIR/train-labels-idx1-ubyte" 8 377
expect_data_error "$DIR" train-labels-idx1-ubyte 255

# Labels cut one short of what their header promises.
DIR=$(copy_good short_labels)
head -c $((8 + TRAIN_COUNT - 1)) "$GOOD/train-labels-idx1-ubyte" >"$DIR/train-labels-idx1-ubyte"
expect_data_error "$DIR" train-labels-idx1-ubyte truncated

# A well-formed label file with one label fewer than there are images (TRAIN_COUNT < 257, so
# the count fits in the header's last byte).
DIR=$(copy_good fewer_labels)
head -c $((8 + TRAIN_COUNT - 1)) "$GOOD/train-labels-idx1-ubyte" >"$DIR/train-labels-idx1-ubyte"
put_byte "$DIR/train-labels-idx1-ubyte" 7 "$(printf '%03o' $((TRAIN_COUNT - 1)))"
expect_data_error "$DIR" train-labels-idx1-ubyte count

# The images' magic number says labels.
DIR=$(copy_good wrong_magic)
put_byte "$DIR/train-images-idx3-ubyte" 3 001
expect_data_error "$DIR" train-images-idx3-ubyte magic

# A missing file.
DIR=$(copy_good missing_file)
rm -f "$DIR/t10k-labels-idx1-ubyte"
expect_data_error "$DIR" t10k-labels-idx1-ubyte

echo "bad_data.sh: all checks passed"
exit 0
