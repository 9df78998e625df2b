#!/usr/bin/env bash
# The component layering holds: an inference-only program links no synthesiser, and an include
# in the wrong direction does not compile while the right direction does.
#   check_layers.sh CXX BUILD_DIR EXAMPLE_BINARY TORCH_INCLUDE_DIR...
set -uo pipefail
cxx=$1 build=$2 example=$3
shift 3
inc=()
for d in "$@"; do [[ $d == /usr/include ]] || inc+=(-isystem "$d"); done  # -isystem /usr/include breaks #include_next
fail=0

needed=$(readelf -d "$example" | grep NEEDED)
for lib in fluidsynth; do
  if grep -q "$lib" <<<"$needed"; then echo "FAIL: $example links $lib"; fail=1; else echo "ok: $example does not link $lib"; fi
done
if nm -C "$example" | grep -qE 'mulan::(synth|train|eval)::'; then echo "FAIL: $example holds synth, train or eval code"; fail=1
else echo "ok: $example holds no synth, train or eval code"; fi

# probe COMPONENT HEADER EXPECT(yes|no)
probe() {
  local out
  out=$(echo "#include \"$2\"" | "$cxx" -std=c++20 -E -x c++ - -I "$build/layers/$1" "${inc[@]}" -o /dev/null 2>&1)
  local rc=$?
  if [[ $3 == yes && $rc -ne 0 ]]; then echo "FAIL: $1 cannot include $2: $out"; fail=1
  elif [[ $3 == no && $rc -eq 0 ]]; then echo "FAIL: $1 can include $2 (wrong direction)"; fail=1
  elif [[ $3 == no && $out != *"No such file"* ]]; then echo "FAIL: $1 including $2 failed for another reason: $out"; fail=1
  else echo "ok: $1 $( [[ $3 == yes ]] && echo may || echo may not ) include $2"; fi
}
probe data audio/tar.h yes
probe data mulan/manifest.h yes
probe data eval/probe.h no
probe data mulan/model.h no
probe model mulan/context.h yes
probe model synth/draw.h no
probe model mulan/synth.h no
probe model data/pair_loader.h no
probe train metrics/metrics.h yes
probe train eval/probe.h no
probe train mulan/eval.h no
probe metrics model/bert.h no
probe audio text/wordpiece.h no
probe text audio/tar.h no
probe synth mulan/model.h no
probe eval data/shards.h yes
probe mine mulan/synth_crawl.h yes
probe mine mulan/text_mining.h yes
probe library mulan/mine.h no
probe train mine/crawl.h no
exit $fail
