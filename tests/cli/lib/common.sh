# The start every CLI test script shares: its arguments, fail(), a fresh scratch folder and a
# tiny generated dataset. Sourced, not run (tests/CMakeLists.txt runs tests/cli/*.sh only).
#
#   . "$(dirname "$0")/lib/common.sh"
#   cli_test_start TRAIN_IMAGES TEST_IMAGES "$@"    # "$@" = PRISM SCRATCH_DIR MAKE_TINY_IDX
#
# sets PRISM, SCRATCH, MAKE_IDX and DATA (the folder of the generated IDX files).

# Prints the failure, naming the script, and ends it with status 1.
fail() {
    echo "FAIL ($(basename "$0")): $*" >&2
    exit 1
}

cli_test_start() {
    if [ $# -lt 5 ]; then
        echo "usage: $0 PRISM SCRATCH_DIR MAKE_TINY_IDX" >&2
        exit 2
    fi
    PRISM=$3
    SCRATCH=$4
    MAKE_IDX=$5
    rm -rf "$SCRATCH"
    mkdir -p "$SCRATCH" || fail "cannot create scratch folder $SCRATCH"
    DATA=$SCRATCH/data
    "$MAKE_IDX" "$DATA" "$1" "$2" >/dev/null || fail "could not generate the tiny dataset in $DATA"
}
