#!/usr/bin/env bash
# Fuzzes with libFuzzer under AddressSanitizer and UBSan, one target or both:
#   decode     the decode path (libsndfile + header checks + downmix + libsoxr), starting from
#              seed files of every container we read
#   tokenizer  the BERT tokenizer (any bytes as text), starting from a few seed texts; built
#              from src/text/ alone (no LibTorch)
#   safetensors  the safetensors header parser (any bytes as a file), from a few valid files
#   scripts/fuzz.sh [SECONDS] [decode|tokenizer|safetensors|all]
# SECONDS defaults to 60; "all" (the default) splits them between the three (rounding up). FUZZ_OUT=DIR works
# elsewhere than build-fuzz/. Crashes are written to $FUZZ_OUT/crashes/ (the tokenizer's with
# the prefix "tokenizer-"); the run fails if there is any.
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
    "$root"/src/text/*.cpp "$root/src/util/error.cpp" $(pkg-config --libs libutf8proc)
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

case "$target" in
  decode) fuzz_decode "$seconds" ;;
  tokenizer) fuzz_tokenizer "$seconds" ;;
  safetensors) fuzz_safetensors "$seconds" ;;
  all)
    third=$(((seconds + 2) / 3))
    fuzz_decode "$third"
    fuzz_tokenizer "$third"
    fuzz_safetensors "$third"
    ;;
  *)
    echo "usage: scripts/fuzz.sh [SECONDS] [decode|tokenizer|safetensors|all]" >&2
    exit 2
    ;;
esac
