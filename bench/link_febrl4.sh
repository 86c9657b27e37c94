#!/usr/bin/env bash
# bench/link_febrl4.sh — end-to-end linkage figures on FEBRL4 (../shared/data/febrl, 5,000 x
# 5,000) encoded with the clkhash tutorial schema: for each threshold, candidates kept in full
# (no top-k) and resolved greedily, with the times `bloomlink link` reports, and precision /
# recall against the FEBRL ground truth (same rec-N = same person).
#
#   bench/link_febrl4.sh [threads]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bloomlink="${BLOOMLINK_CLI:-$root/build/src/cli/bloomlink}"
data="$root/../shared/data"
threads="${1:-0}"
[ -d "$data/febrl" ] || { echo "FEBRL data not found at $data/febrl" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'secret' > "$work/tutorial.key"   # the tutorial's 6-byte secret (compatibility only)
chmod 600 "$work/tutorial.key"
for part in a b; do
  "$bloomlink" encode --quiet --schema "$data/clkhash-vectors/febrl4_tutorial_schema_v3.json" \
    --secret-file "$work/tutorial.key" --allow-weak-secret --skip-initial-space \
    --id-column rec_id --input "$data/febrl/dataset4$part.csv" --output "$work/4$part.bloom"
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads: $threads (0 = all)"
echo "| threshold | candidates | compare s | greedy s | link wall s | precision | recall | F1 |"
echo "|---|---|---|---|---|---|---|---|"
for t in 0.7 0.75 0.8 0.85 0.9; do
  start=$(date +%s.%N)
  out=$("$bloomlink" link "$work/4a.bloom" "$work/4b.bloom" --threshold "$t" --threads "$threads" \
        --output "$work/pairs.csv" --truth-regex '^rec-([0-9]+)-')
  end=$(date +%s.%N)
  cand=$(sed -n 's/^ *\([0-9,]*\) candidate pairs.*/\1/p' <<<"$out")
  cmp=$(sed -n 's/.* in \([0-9.]*\) s (.* kernel.*/\1/p' <<<"$out")
  solve=$(sed -n 's/.*one-to-one resolution in \([0-9.]*\) s/\1/p' <<<"$out")
  p=$(sed -n 's/.*precision \([0-9.]*\).*/\1/p' <<<"$out")
  r=$(sed -n 's/.*recall \([0-9.]*\).*/\1/p' <<<"$out")
  f=$(sed -n 's/.*F1 \([0-9.]*\).*/\1/p' <<<"$out")
  printf '| %s | %s | %s | %s | %.2f | %s | %s | %s |\n' "$t" "$cand" "$cmp" "$solve" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$p" "$r" "$f"
done
