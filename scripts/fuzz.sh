#!/usr/bin/env bash
# Fuzzes the decode path (libsndfile + header checks + downmix + libsoxr) with libFuzzer under
# AddressSanitizer and UBSan, starting from seed files of every container we read.
#   scripts/fuzz.sh [SECONDS]       (default 60; FUZZ_OUT=DIR to work elsewhere)
# Crashes are written to $FUZZ_OUT/crashes/ (build-fuzz/); the run fails if there is any.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/build-fuzz}
mkdir -p "$out/seeds" "$out/corpus" "$out/crashes"
cxx=${CXX_FUZZ:-clang++}
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I"$root/include")
libs=($(pkg-config --libs sndfile soxr))

"$cxx" "${flags[@]}" -o "$out/make_seeds" "$root/fuzz/make_seeds.cpp" "${libs[@]}"
"$out/make_seeds" "$out/seeds"
"$cxx" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$out/decode_fuzz" "$root/fuzz/decode_fuzz.cpp" "$root/src/audio/decode.cpp" \
  "$root/src/audio/resample.cpp" "$root/src/util/error.cpp" "${libs[@]}"

echo "fuzz: decode path for ${seconds} s (corpus $out/corpus, seeds $out/seeds)"
# -max_len keeps inputs header-sized; -rss_limit_mb bounds memory; the timeout catches hangs.
ASAN_OPTIONS=detect_leaks=1 "$out/decode_fuzz" "$out/corpus" "$out/seeds" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/crashes/" -print_final_stats=1 2> "$out/fuzz.log" || {
  tail -n 60 "$out/fuzz.log"
  echo "fuzz: FAILED, see $out/crashes/ and $out/fuzz.log" >&2
  exit 1
}
grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$out/fuzz.log" | tail -n 2
echo "fuzz: no crash in ${seconds} s"
