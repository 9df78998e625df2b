#!/usr/bin/env bash
# Fuzzes with libFuzzer under AddressSanitizer and UBSan, one target or both:
#   decode     the decode path (libsndfile + header checks + downmix + libsoxr), starting from
#              seed files of every container we read
#   tokenizer  the BERT tokenizer (any bytes as text), starting from a few seed texts; built
#              from src/text/ alone (no LibTorch)
#   safetensors  the safetensors header parser (any bytes as a file), from a few valid files
#   pth        the torch.save reader (any bytes as a .pth file: the zip layer, the record limits,
#              the unpickler), from small files that torch.save writes (Debian's python3-torch)
#              and hand-made archives and pickles (tests/python/write_bombs.py); needs LibTorch
#   pickle     the same reader's unpickler: any bytes as data.pkl of a valid archive, from the
#              same seeds' pickles; needs LibTorch
#   checkpoint the training checkpoint loader (any bytes as checkpoint.safetensors), from valid
#              checkpoints the target writes; needs LibTorch
#   scripts/fuzz.sh [SECONDS] [decode|tokenizer|safetensors|pth|pickle|checkpoint|all]
# SECONDS defaults to 60; "all" (the default) splits them between the six (rounding up). FUZZ_OUT=DIR works
# elsewhere than build-fuzz/. Crashes are written to $FUZZ_OUT/crashes/ (each target's but the
# decode path's with the prefix "NAME-"); the run fails if there is any.
set -euo pipefail
seconds=${1:-60}
target=${2:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/build-fuzz}
mkdir -p "$out/crashes"
cxx=${CXX_FUZZ:-clang++}
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I"$root/include" -I"$root/src")
sanitize=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)

# run NAME SECONDS CORPUS... : runs $out/NAME with the common limits; prints the stats.
run() {
  local name=$1 secs=$2 prefix=$3
  shift 3
  echo "fuzz: $name for ${secs} s (corpus $1)"
  # -max_len keeps inputs small; -rss_limit_mb bounds memory; the timeout catches hangs.
  ASAN_OPTIONS=detect_leaks=1 "$out/$name" "$@" \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/$prefix" -print_final_stats=1 2> "$out/$name.log" || {
    tail -n 60 "$out/$name.log"
    echo "fuzz: $name FAILED, see $out/crashes/ and $out/$name.log" >&2
    exit 1
  }
  grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$out/$name.log" | tail -n 2
  echo "fuzz: $name: no crash in ${secs} s"
}

fuzz_decode() {
  local libs
  libs=($(pkg-config --libs sndfile soxr))
  mkdir -p "$out/seeds" "$out/corpus"
  "$cxx" "${flags[@]}" -o "$out/make_seeds" "$root/fuzz/make_seeds.cpp" "${libs[@]}"
  "$out/make_seeds" "$out/seeds"
  "$cxx" "${flags[@]}" "${sanitize[@]}" -o "$out/decode_fuzz" "$root/fuzz/decode_fuzz.cpp" \
    "$root/src/audio/decode.cpp" "$root/src/audio/resample.cpp" "$root/src/util/error.cpp" "${libs[@]}"
  run decode_fuzz "$1" "" "$out/corpus" "$out/seeds"
}

fuzz_tokenizer() {
  local seeds=$out/tokenizer-seeds
  mkdir -p "$seeds" "$out/tokenizer-corpus"
  printf 'Melancholic lo-fi piano, 80s R&B; AC/DC drum'"'"'n'"'"'bass 140bpm c#m' > "$seeds/english"
  printf 'Caf\xc3\xa9 na\xc3\xafve \xc4\xb0stanbul \xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91 \xd0\x9c\xd0\xa3\xd0\x97\xd0\xab\xd0\x9a\xd0\x90 e\xcc\x81o\xcc\xa3\xcc\x82' > "$seeds/accents"
  printf '\xe9\x9f\xb3\xe6\xa5\xbd\xe3\x83\x9d\xe3\x83\x83\xe3\x83\x97 \xec\x9d\x8c\xec\x95\x85 \xf0\x9f\x8e\xb5\xe2\x80\x8d\xef\xbf\xbd\x00\x01\t\xc2\xa0\xe3\x80\x80' > "$seeds/scripts"
  printf 'ab\xff\xc3(\xed\xa0\x80\xf4\x90\x80\x80\xe0\x80\x80\xf0\x9f\x8e' > "$seeds/invalid"
  head -c 300 /dev/zero | tr '\0' 'a' > "$seeds/long-word"
  "$cxx" "${flags[@]}" "${sanitize[@]}" -o "$out/tokenizer_fuzz" "$root/fuzz/tokenizer_fuzz.cpp" \
    "$root"/src/text/*.cpp "$root/src/util/error.cpp" "$root/src/util/read_file.cpp" $(pkg-config --libs libutf8proc)
  run tokenizer_fuzz "$1" tokenizer- "$out/tokenizer-corpus" "$seeds"
}

fuzz_safetensors() {
  local seeds=$out/safetensors-seeds
  mkdir -p "$seeds" "$out/safetensors-corpus"
  # Valid files: one tensor, several with metadata, an empty one.
  /usr/bin/python3 - "$seeds" <<'PY'
import json, struct, sys
def write(name, header, data):
    h = json.dumps(header).encode()
    open(f"{sys.argv[1]}/{name}", "wb").write(struct.pack("<Q", len(h)) + h + data)
write("one", {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(16))
write("many", {"__metadata__": {"format": "mulan"},
               "a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
               "b": {"dtype": "I64", "shape": [1], "data_offsets": [6, 14]},
               "c": {"dtype": "BF16", "shape": [0, 4], "data_offsets": [14, 14]}}, bytes(14))
write("empty", {}, b"")
PY
  "$cxx" "${flags[@]}" "${sanitize[@]}" -o "$out/safetensors_fuzz" "$root/fuzz/safetensors_fuzz.cpp" \
    "$root/src/model/safetensors_header.cpp" "$root/src/util/error.cpp"
  run safetensors_fuzz "$1" safetensors- "$out/safetensors-corpus" "$seeds"
}

# The torch.save reader, compiled once for both of its targets, with Debian's LibTorch: in C++17
# mode, as clang 14 with libstdc++ 12 cannot compile LibTorch 1.13's headers in C++20 mode.
torch_flags=(-std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -isystem /usr/include/torch/csrc/api/include)
torch_libs=(-ltorch -ltorch_cpu -lc10 $(pkg-config --libs libarchive))
torch_checkpoint_built=0
build_torch_checkpoint() {
  ((torch_checkpoint_built)) && return
  torch_checkpoint_built=1
  "$cxx" "${flags[@]}" "${torch_flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
    -c -o "$out/torch_checkpoint.o" "$root/src/import/torch_checkpoint.cpp"
}

# Seeds for both: small real torch.save files and hand-made archives (NAME.pt, zip-*), and bare
# pickles (pickle-*, and the data.pkl of each real file as pickle-NAME).
torch_seeds_written=0
torch_seeds() {
  local seeds=$out/torch-seeds
  ((torch_seeds_written)) && return
  torch_seeds_written=1
  rm -rf "$seeds"
  mkdir -p "$seeds"
  /usr/bin/python3 "$root/tests/python/write_checkpoints.py" cases "$seeds" "$seeds/pwned"
  rm -f "$seeds"/*.safetensors
  /usr/bin/python3 "$root/tests/python/write_bombs.py" seeds "$seeds"
  /usr/bin/python3 - "$seeds" <<'PY'
import glob, os, sys, zipfile
for path in glob.glob(f"{sys.argv[1]}/*.pt"):
    if zipfile.is_zipfile(path):
        name = os.path.basename(path)[:-3]
        with zipfile.ZipFile(path) as z:
            open(f"{sys.argv[1]}/pickle-{name}", "wb").write(z.read(f"{name}/data.pkl"))
PY
}

fuzz_pth() {
  local seeds=$out/pth-seeds
  torch_seeds
  mkdir -p "$seeds" "$out/pth-corpus"
  cp "$out"/torch-seeds/*.pt "$out"/torch-seeds/zip-* "$out"/torch-seeds/pickle-one "$seeds"/
  build_torch_checkpoint
  "$cxx" "${flags[@]}" "${torch_flags[@]}" "${sanitize[@]}" -o "$out/pth_fuzz" "$root/fuzz/pth_fuzz.cpp" \
    "$out/torch_checkpoint.o" "$root/src/util/error.cpp" "${torch_libs[@]}"
  run pth_fuzz "$1" pth- "$out/pth-corpus" "$seeds"
}

fuzz_pickle() {
  local seeds=$out/pickle-seeds
  torch_seeds
  mkdir -p "$seeds" "$out/pickle-corpus"
  cp "$out"/torch-seeds/pickle-* "$seeds"/
  build_torch_checkpoint
  "$cxx" "${flags[@]}" "${torch_flags[@]}" "${sanitize[@]}" -o "$out/pickle_fuzz" "$root/fuzz/pickle_fuzz.cpp" \
    "$out/torch_checkpoint.o" "$root/src/util/error.cpp" "${torch_libs[@]}"
  run pickle_fuzz "$1" pickle- "$out/pickle-corpus" "$seeds"
}

# The training checkpoint loader: any bytes as checkpoint.safetensors into a small model and AdamW;
# seeded with valid checkpoints that the target writes itself (MULAN_FUZZ_WRITE_SEEDS).
fuzz_checkpoint() {
  local seeds=$out/checkpoint-seeds
  mkdir -p "$seeds" "$out/checkpoint-corpus" "$out/checkpoint-obj"
  local o=$out/checkpoint-obj
  for f in train/checkpoint model/safetensors; do
    "$cxx" "${flags[@]}" "${torch_flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
      -c -o "$o/$(basename $f).o" "$root/src/$f.cpp"
  done
  for f in model/safetensors_header util/atomic_file util/error util/sha256; do  # no LibTorch: C++20
    "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
      -c -o "$o/$(basename $f).o" "$root/src/$f.cpp"
  done
  "$cxx" "${flags[@]}" "${torch_flags[@]}" "${sanitize[@]}" -o "$out/checkpoint_fuzz" "$root/fuzz/checkpoint_fuzz.cpp" \
    "$o"/*.o "${torch_libs[@]}" -lcrypto
  MULAN_FUZZ_WRITE_SEEDS="$seeds" ASAN_OPTIONS=detect_leaks=0 "$out/checkpoint_fuzz"
  run checkpoint_fuzz "$1" checkpoint- "$out/checkpoint-corpus" "$seeds"
}

targets=(decode tokenizer safetensors pth pickle checkpoint)
case "$target" in
  decode|tokenizer|safetensors|pth|pickle|checkpoint) "fuzz_$target" "$seconds" ;;
  all)
    share=$(((seconds + ${#targets[@]} - 1) / ${#targets[@]}))
    for t in "${targets[@]}"; do "fuzz_$t" "$share"; done
    ;;
  *)
    echo "usage: scripts/fuzz.sh [SECONDS] [decode|tokenizer|safetensors|pth|pickle|checkpoint|all]" >&2
    exit 2
    ;;
esac
