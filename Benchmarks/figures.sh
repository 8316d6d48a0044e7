#!/usr/bin/env bash
# The accuracy and calibration figures of the README: every declaration of the main job trained for 20 epochs on
# the full Fashion-MNIST (Debian package dataset-fashion-mnist, or --data), 32 posterior samples, then one table.
#   Benchmarks/figures.sh [out-dir] [extra bnndsl options...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out-figures}"
shift || true
dotnet build "$root/Examples" -c Release -v quiet -nologo >/dev/null
mkdir -p "$out"
for method in map peer-mf peer-mf-lrt mean-field; do
  "$root/Examples/bin/Release/net10.0/bnndsl" --method "$method" --epochs 20 --samples 32 --out "$out/$method" "$@" \
    > "$out/$method.log" 2>&1 || { echo "$method failed: see $out/$method.log"; exit 1; }
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print("| method | s/epoch | test error | NLL | Brier | ECE | OOD AUROC | resident MiB, epoch 1 → 20 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for method in ("map", "peer-mf", "peer-mf-lrt", "mean-field"):
    m = json.load(open(os.path.join(out, method, "metrics.json")))
    r = m["resident_mib"]
    print(f"| {method} ({m['declaration']}; Adam {m['learning_rate']:g}, {m['schedule']} schedule) | {m['seconds_per_epoch']:.2f} | {m['test_error']:.2%} | {m['nll']:.3f} | "
          f"{m['brier']:.3f} | {m['ece']:.3f} | {m['ood_auroc']:.3f} | {r[0]:.0f} → {r[-1]:.0f} |")
PY
