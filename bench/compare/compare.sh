#!/usr/bin/env bash
# mulan against PyTorch eager and ONNX Runtime, side by side, on the same weights and inputs
# (issue 16): a base-resnet model from mulan init, 3 recordings of 90 s (44.1 kHz stereo FLAC),
# 1,000 texts of 4 to 200 characters; and mulan's int8 form of the model (mulan quantize). Prints one table (whole process and model only) after
# checking that every side's embeddings agree (1e-4).
#
#   bench/compare/compare.sh [BUILD_DIR=build] [WORK_DIR=/tmp/mulan-compare]
# `make compare` runs it. ONNX Runtime comes from npm (onnxruntime-node, --ignore-scripts: its
# CPU library ships in the package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
work=${2:-/tmp/mulan-compare}
mulan=$build/bin/mulan
py=/usr/bin/python3
[[ -x $mulan ]] || { echo "compare: no mulan CLI at $mulan (make build)" >&2; exit 2; }
mkdir -p "$work"
if [[ ! -d $here/node_modules/onnxruntime-node ]]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
[[ -f $work/model/model.safetensors ]] || "$mulan" init --preset base-resnet --seed 1 --out "$work/model" --force >/dev/null
[[ -f $work/model-int8/model.safetensors ]] || "$mulan" quantize --model "$work/model" --out "$work/model-int8" --force 2>/dev/null
[[ -f $work/inputs/texts.txt ]] || $py "$here/make_inputs.py" "$work/inputs"
# The wall-clock seconds of a command (as a number Python reads: "4100e-3").
seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo "$(( (e - s) / 1000000 ))e-3"; }

echo "compare: mulan" >&2
t_mulan_audio=$(seconds "$mulan" embed-audio --model "$work/model" --out "$work/mulan_audio.npy" "$work"/inputs/audio/*.flac)
t_mulan_text=$(seconds "$mulan" embed-text --model "$work/model" --out "$work/mulan_text.npy" < "$work/inputs/texts.txt")
# Start-up and model load: the same command on one text (the text model alone is the difference).
t_mulan_start=$(seconds "$mulan" embed-text --model "$work/model" --out "$work/one.npy" "one text")
echo "compare: mulan int8 (mulan quantize)" >&2
t_int8_audio=$(seconds "$mulan" embed-audio --model "$work/model-int8" --out "$work/int8_audio.npy" "$work"/inputs/audio/*.flac)
t_int8_text=$(seconds "$mulan" embed-text --model "$work/model-int8" --out "$work/int8_text.npy" < "$work/inputs/texts.txt")
t_int8_start=$(seconds "$mulan" embed-text --model "$work/model-int8" --out "$work/one.npy" "one text")
# mulan's audio model alone: ResNet-50 windows per second at batch 8 (Google Benchmark).
wps=$("$build/bench/bench_audio_tower" --benchmark_filter='BM_AudioTower/0/8/2/' --benchmark_format=json 2>/dev/null |
      $py -c "import json,sys; print(json.load(sys.stdin)['benchmarks'][0]['windows_per_s'])")
echo "compare: PyTorch eager" >&2
# The OpenBLAS kernels mulan picks for this CPU (include/mulan/blas.h): Debian 12's OpenBLAS
# falls back to generic SSE3 ones on Intel CPUs newer than it knows, and PyTorch would pay that.
if [[ -z ${OPENBLAS_CORETYPE:-} ]]; then
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
t_torch_audio=$(seconds $py "$here/torch_eager.py" "$work/model" "$work/inputs" "$work" audio)
t_torch_text=$(seconds $py "$here/torch_eager.py" "$work/model" "$work/inputs" "$work" text)
echo "compare: ONNX Runtime" >&2
[[ -f $work/text.onnx ]] || $py "$here/export_onnx.py" "$work/model" "$work" 2>/dev/null
node "$here/ort_run.js" "$work" 2
echo "compare: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%d)"
$py "$here/report.py" "$work" "$t_mulan_audio" "$t_mulan_text" "$t_torch_audio" "$t_torch_text" "$wps" \
  "$t_mulan_start" "$t_int8_audio" "$t_int8_text" "$t_int8_start"
