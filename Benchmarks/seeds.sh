#!/usr/bin/env bash
# One declaration of the main job over a range of seeds (20 epochs, full Fashion-MNIST, 32 posterior samples unless
# the extra options say otherwise): a row per seed, then each metric's mean and range and on how many seeds it meets
# the figure the README aims at.
#   Benchmarks/seeds.sh [method] [first-seed] [last-seed] [extra bnndsl options...]   (default: mean-field 1 10)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
method="${1:-mean-field}"
first="${2:-1}"
last="${3:-10}"
shift $(( $# < 3 ? $# : 3 ))
# Runs with extra options go to their own folder (out-seeds/mean-field_--samples_512), not over the plain runs.
suffix="$(printf '%s' "$*" | tr -c 'A-Za-z0-9.-' '_')"
out="$root/out-seeds/$method${suffix:+_$suffix}"
dotnet build "$root/Examples" -c Release -v quiet -nologo >/dev/null
mkdir -p "$out"
for seed in $(seq "$first" "$last"); do
  "$root/Examples/bin/Release/net10.0/bnndsl" --method "$method" --epochs 20 --samples 32 --seed "$seed" --out "$out/seed-$seed" "$@" \
    > "$out/seed-$seed.log" 2>&1 || { echo "seed $seed failed: see $out/seed-$seed.log"; exit 1; }
done
python3 - "$out" "$first" "$last" <<'PY'
import json, os, sys
out, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
goals = {"test_error": ("≤", 0.115), "nll": ("≤", 0.32), "ece": ("≤", 0.015), "ood_auroc": ("≥", 0.88)}
runs = {s: json.load(open(os.path.join(out, f"seed-{s}", "metrics.json"))) for s in range(first, last + 1)}
print("| seed | test error | NLL | ECE | OOD AUROC |")
print("| --- | --- | --- | --- | --- |")
for s, m in runs.items():
    print(f"| {s} | {m['test_error']:.2%} | {m['nll']:.3f} | {m['ece']:.3f} | {m['ood_auroc']:.3f} |")
for key, (relation, bound) in goals.items():
    values = [m[key] for m in runs.values() if m[key] is not None]
    if not values:
        continue
    met = sum(v <= bound if relation == "≤" else v >= bound for v in values)
    print(f"{key}: mean {sum(values) / len(values):.4f}, {min(values):.4f}–{max(values):.4f}; {relation} {bound} on {met} of {len(values)} seeds")
PY
