#!/usr/bin/env bash
# Installs every Debian package mulan needs to build, test, benchmark and run the demo.
# Idempotent: packages already present are skipped, and a second run changes nothing.
# Runs apt-get as root, through sudo otherwise. Then makes sure OpenBLAS is the active BLAS:
# LibTorch on Debian's reference BLAS is about 30x slower.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # LibTorch (CPU) and the BLAS it must use; Gloo headers for c10d
  libtorch-dev libopenblas0-openmp libgloo-dev
  # audio: decode every format libsndfile reads, resample, synthesise
  libsndfile1-dev libsoxr-dev libfluidsynth-dev fluid-soundfont-gm
  # text (ICU: sentence splitting and regexes of mining), config, CLI, server, index, shards
  libutf8proc-dev libicu-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libsqlite3-dev
  libfaiss-dev libarchive-dev
  # SHA-256 of model directories (evaluation provenance, embedding cache)
  libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # independent references for the tests (run as /usr/bin/python3)
  python3 python3-numpy python3-torch python3-torchaudio python3-torchvision python3-sklearn
  # the Python module (pybind11) and its tests; venv, setuptools and wheel for its pip install
  python3-dev pybind11-dev python3-pytest python3-venv python3-setuptools python3-wheel
  sox
  # speech for the synthetic crawl's non-music recordings (mulan synth --crawl)
  espeak-ng
  # load tests of mulan serve (bench/serve/load.sh)
  wrk
  # the screenshot test of mulan report's page (headless)
  chromium
  # fuzzing (libFuzzer ships with clang's runtime)
  clang libclang-rt-14-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js runs the Hugging Face tokenizers reference; any Node >= 18 with npm will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# OpenBLAS must back libblas.so.3 and liblapack.so.3, or every matmul in LibTorch crawls.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  want=/usr/lib/$arch/openblas-openmp/$lib
  link=$(update-alternatives --query "$lib-$arch" 2>/dev/null | awk '/^Value:/ {print $2}')
  if [ "$link" != "$want" ]; then
    if [ -e "$want" ]; then
      echo "install-deps: $lib was ${link:-unset}; switching it to OpenBLAS ($want)"
      as_root update-alternatives --set "$lib-$arch" "$want"
    else
      echo "install-deps: WARNING: $want is missing; LibTorch will run on a slow BLAS" >&2
    fi
  fi
done
echo "install-deps: active BLAS: $(readlink -f /usr/lib/$arch/libblas.so.3)"

# Hugging Face tokenizers (npm, pinned in tests/node/package-lock.json), the reference of the
# tokenizer tests; a prebuilt native module, so nothing is compiled.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/tests/node/node_modules/tokenizers" ]; then
  echo "install-deps: npm ci in tests/node (Hugging Face tokenizers)"
  (cd "$root/tests/node" && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "install-deps: tests/node/node_modules/tokenizers present"
fi
