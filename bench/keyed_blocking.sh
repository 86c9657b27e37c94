#!/usr/bin/env bash
# bench/keyed_blocking.sh [N] — keyed blocking (issue 12) against the exhaustive search on
# `bloomlink synth` extracts of N records a side (default 100,000), encoded with
# examples/schemas/starter_blocking.json (the starter schema and five blocking rules): at Dice
# 0.8, the candidates --blocking keys finds as a share of the exhaustive set (a subset), the
# pairs it compares, both times; then the default label-free link with --blocking keys, its wall
# time and peak RSS (/usr/bin/time -v) and its precision and recall against the truth.
# Data are generated in a temporary folder and removed.
#   bench/keyed_blocking.sh 100000
#   BENCH_EXHAUSTIVE=0 bench/keyed_blocking.sh 1000000   # skip the exhaustive search (minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BLOOMLINK_BIN:-$root/build/src/cli/bloomlink}"
n="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" synth --records "$n" --seed 5 --output . >/dev/null
printf 'keyed blocking bench secret, not for real data\n' >secret
chmod 600 secret
for f in trust council; do
  "$bin" encode --schema "$root/examples/schemas/starter_blocking.json" --secret-file secret \
    --input "$f.csv" --output "$f.bloom" --quiet
done
pairs() { tail -n +2 "$1" | cut -d, -f1,2 | sort; }
"$bin" link trust.bloom council.bloom --threshold 0.8 --method dice --one-to-one none \
  --blocking keys --output keys.csv | grep -E "linked|compared|candidate pairs"
if [ "${BENCH_EXHAUSTIVE:-1}" = 1 ]; then
  "$bin" link trust.bloom council.bloom --threshold 0.8 --method dice --one-to-one none \
    --output exhaustive.csv | grep -E "linked|compared|candidate pairs"
  found=$(comm -12 <(pairs keys.csv) <(pairs exhaustive.csv) | wc -l)
  extra=$(comm -23 <(pairs keys.csv) <(pairs exhaustive.csv) | wc -l)
  all=$(pairs exhaustive.csv | wc -l)
  echo "keys found $found of the $all exhaustive candidates at Dice 0.8 ($extra not among them)" \
    "completeness $(awk -v f="$found" -v a="$all" 'BEGIN { printf "%.4f", f / a }')"
fi
/usr/bin/time -v "$bin" link trust.bloom council.bloom --blocking keys --truth truth.csv \
  --output default.csv 2>time.txt | grep -E "linked|compared|candidate pairs|decision|precision"
grep -E "Elapsed|Maximum resident" time.txt
