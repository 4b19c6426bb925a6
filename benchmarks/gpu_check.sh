#!/usr/bin/env bash
# The GPU check of issue 17, in one short run (about 5-8 minutes on one H200):
#   1. 100k answers end to end on the card vs raw encode of their unique segments on the same card
#      (model load and Prefect's server start timed apart, not in the ratio); target: end to end
#      in at most 2x raw encode;
#   2. decisions on the gold test split coded on the CPU, on CUDA fp32 and on CUDA fp16, compared
#      (passages decided differently, largest score difference, primary-theme kappa change).
# Needs: this checkout with .venv set up (make setup) and a CUDA build of torch in it, e.g.
#   .venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128
# (or wheels brought along on a machine without a registry). Results land in benchmarks/gpu/.
#   bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${OUT_DIR:-benchmarks/gpu}
SIZES=${SIZES:-100000}
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false TOKENIZERS_PARALLELISM=false
export THEMES_CACHE_DIR="$(mktemp -d)"  # cold cache: nothing from an earlier run

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/card.txt"
"$PY" -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device: install a CUDA build'; \
print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" | tee -a "$OUT/card.txt"

# 1. End to end vs raw encode on the card (the benchmark prints model load and warm-up apart).
timeout 420 "$PY" benchmarks/run.py --sizes "$SIZES" --device cuda --no-rerun --out "$OUT" 2>&1 | tee "$OUT/run.log"

# 2. Decisions: CPU (reference) vs CUDA fp32 vs CUDA fp16, gold test split.
timeout 120 "$PY" benchmarks/compare_devices.py --devices cpu,cuda,cuda+fp16 2>&1 | tee "$OUT/decisions.jsonl"

rm -rf "$THEMES_CACHE_DIR"
echo "wrote $OUT/results.md, $OUT/results.json, $OUT/decisions.jsonl, $OUT/card.txt"
