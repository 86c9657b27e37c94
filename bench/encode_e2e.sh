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
echo "| threads | wall s (fastest of 3) | records/s | peak RSS MB | output MB | peak beyond the output MB |"
echo "|---|---|---|---|---|---|"
# One thread and all cores alternate, three runs each, each into a new file (replacing an
# existing output costs the rename the old file's pages): the fastest of each, as noise on a
# shared VM only ever adds time; every run is printed too.
declare -A walls rss_of
for round in 1 2 3; do
  for threads in 1 0; do
    rm -f "$work/trust.bloom"
    /usr/bin/time -f "%e %M" -o "$work/time" "$bloomlink" encode --quiet --schema "$work/schema.json" \
      --input "$work/trust.csv" --output "$work/trust.bloom" --threads "$threads"
    read -r wall rss < "$work/time"
    walls[$threads]+="$wall "
    rss_of[$threads]=$rss
  done
done
out=$(stat -c %s "$work/trust.bloom")
for threads in 1 0; do
  wall=$(tr ' ' '\n' <<<"${walls[$threads]}" | grep . | sort -n | head -1)
  label=$threads; [ "$threads" = 0 ] && label="all ($(nproc))"
  awk -v t="$label" -v w="$wall" -v r="$records" -v m="${rss_of[$threads]}" -v o="$out" \
    'BEGIN { printf "| %s | %.2f | %d | %d | %d | %d |\n", t, w, r / w, m / 1024, o / 1048576,
             m / 1024 - o / 1048576 }'
done
one=$(tr ' ' '\n' <<<"${walls[1]}" | grep . | sort -n | head -1)
all=$(tr ' ' '\n' <<<"${walls[0]}" | grep . | sort -n | head -1)
awk -v a="$one" -v b="$all" 'BEGIN { printf "all cores against one: %.2fx\n", a / b }'
echo "one thread: ${walls[1]}; all cores: ${walls[0]}"
