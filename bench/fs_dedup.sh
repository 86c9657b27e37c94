#!/usr/bin/env bash
# bench/fs_dedup.sh [RECORDS] [RUNS] — the Fellegi-Sunter deduplication target of issue 12:
# RECORDS (default 50,000) synthetic records of people with 3 to 20 records each
# (`bloomlink synth --records-per-person 3-20`), encoded with the starter schema plus a field
# filter on every field (bench/quality_schemas/synth.json, so the default method is FS), then
# `bloomlink link --dedupe` with the default, label-free choices (floor and decision from the
# data). Prints each run's wall time and peak RSS (/usr/bin/time -v), the stage timings of the
# fastest run, and precision / recall / F1 against the truth (a separate run with --truth, so the
# timed runs do not read the truth).
#
# Environment: BLOOMLINK_CLI (default build/src/cli/bloomlink); BLOOMLINK_BEFORE, another
# bloomlink binary to time alternately with it (before/after in one run); FS_DEDUP_SEED (1);
# FS_DEDUP_THRESHOLD, an explicit candidate floor instead of the automatic one.
# Data is generated in a temporary folder and removed afterwards; nothing is committed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
records="${1:-50000}"
runs="${2:-3}"
cli="${BLOOMLINK_CLI:-$root/build/src/cli/bloomlink}"
before="${BLOOMLINK_BEFORE:-}"
seed="${FS_DEDUP_SEED:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BLOOMLINK_SECRET="fs-dedup-bench-secret-0123456789"

"$cli" synth --records "$records" --records-per-person 3-20 --seed "$seed" --output "$work"
"$cli" encode --quiet --schema "$root/bench/quality_schemas/synth.json" \
  --input "$work/records.csv" --output "$work/records.bloom"
threshold=()
if [ -n "${FS_DEDUP_THRESHOLD:-}" ]; then threshold=(--threshold "$FS_DEDUP_THRESHOLD"); fi

# run LABEL BINARY: one timed link; prints "LABEL seconds MB" and keeps the summary.
run() {
  local label="$1" bin="$2"
  /usr/bin/time -v "$bin" link --dedupe "$work/records.bloom" --output "$work/pairs.csv" \
    "${threshold[@]}" >"$work/out.txt" 2>"$work/time.txt"
  local wall rss
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
  rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")"
  echo "$label $wall s $rss MB"
  cp "$work/out.txt" "$work/out-$label-$wall.txt"
}

echo "== $records records, $runs runs each (alternating); wall time and peak RSS"
for ((k = 1; k <= runs; ++k)); do
  if [ -n "$before" ]; then run before "$before"; fi
  run after "$cli"
done | tee "$work/runs.txt"
for label in before after; do
  best="$(awk -v l="$label" '$1 == l {print $2}' "$work/runs.txt" | sort -g | head -1)"
  [ -z "$best" ] && continue
  echo "== $label: fastest of $runs: $best s; its summary:"
  cat "$work/out-$label-$best.txt"
done
echo "== quality against the truth (one more run, with --truth)"
"$cli" link --dedupe "$work/records.bloom" --output "$work/pairs.csv" "${threshold[@]}" \
  --truth "$work/truth.csv" | grep -E "precision .* recall"
