#!/usr/bin/env bash
# bench/encode_e2e.sh [records] — end-to-end encoding figures: `bloomlink encode` on a synthetic
# trust extract (CSV in, .bloom out, everything included), with one thread and with all cores,
# plus peak memory, and peak memory beyond the output itself (the encodings are held in memory
# until written: peak RSS minus the .bloom file's size). Data is generated here (bloomlink synth)
# into a temporary folder and removed.
#
#   bench/encode_e2e.sh 1000000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bloomlink="${BLOOMLINK_CLI:-$root/build/src/cli/bloomlink}"
records="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bloomlink" synth --records "$records" --seed 42 --output "$work" >/dev/null
"$bloomlink" schema init --output "$work/schema.json" 2>/dev/null
export BLOOMLINK_SECRET="benchmark secret, not for real data"
size=$(du -m "$work/trust.csv" | cut -f1)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; input ${size} MB, $records records"
echo "| threads | wall s | records/s | peak RSS MB | output MB | peak beyond the output MB |"
echo "|---|---|---|---|---|---|"
for threads in 1 0; do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bloomlink" encode --quiet --schema "$work/schema.json" \
    --input "$work/trust.csv" --output "$work/trust.bloom" --threads "$threads"
  read -r wall rss < "$work/time"
  out=$(stat -c %s "$work/trust.bloom")
  label=$threads; [ "$threads" = 0 ] && label="all ($(nproc))"
  awk -v t="$label" -v w="$wall" -v r="$records" -v m="$rss" -v o="$out" \
    'BEGIN { printf "| %s | %.2f | %d | %d | %d | %d |\n", t, w, r / w, m / 1024, o / 1048576,
             m / 1024 - o / 1048576 }'
done
